// What the caller hears from the queue's pace, read from the store: the position announcement
// (with the estimated wait when the queue says so) and, after `*`, when the call back comes
// (callback-eta.ts). The session plays what these return.
import type { QueueConfig } from '../config/types.js';
import { callbackEta, type CallbackEta } from './callback-eta.js';
import { quantityPrompts } from './number-speech.js';
import type { CallEntryStore } from './ports.js';
import type { PromptId } from './types.js';
import { estimateWaitSeconds, PACE_WINDOW_SECONDS, waitPrompts } from './wait-estimate.js';

type PaceStore = Pick<CallEntryStore, 'position' | 'servedRecently'>;

/** "Your position in the queue is" + (callers ahead + 1), then the estimated wait if the queue says so and its pace gives one. */
export async function positionPrompts(store: PaceStore, queue: QueueConfig, entryId: string): Promise<PromptId[]> {
  const ahead = await store.position(entryId);
  const prompts: PromptId[] = ['position-is', ...quantityPrompts(ahead + 1)];
  if (queue.announce.estimatedWait) {
    const wait = estimateWaitSeconds(ahead, await store.servedRecently(queue.name, PACE_WINDOW_SECONDS));
    if (wait !== null) prompts.push(...waitPrompts(wait, queue.language));
  }
  return prompts;
}

/** When the callback just committed for `entryId` comes (issue 10.4): its place, the pace, the opening hours. */
export async function callbackEtaOf(store: PaceStore, queue: QueueConfig, entryId: string, now: Date): Promise<CallbackEta> {
  if (queue.callback.announceEstimateFromMinutes <= 0) return { later: false, prompts: [] };
  const [ahead, served] = await Promise.all([store.position(entryId), store.servedRecently(queue.name, PACE_WINDOW_SECONDS)]);
  return callbackEta(queue, now, estimateWaitSeconds(ahead, served));
}
