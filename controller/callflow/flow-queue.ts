import type { QueueConfig } from '../config/types.js';
import type { FlowQueue } from './types.js';

/** The part of a queue's configuration the pure flow reads. */
export function toFlowQueue(q: QueueConfig): FlowQueue {
  const cb = q.callback;
  return {
    name: q.name,
    greeting: q.greeting,
    callbackMode: cb.mode,
    offerAfterSeconds: cb.offerAfterSeconds,
    offerKey: cb.offerKey,
    reofferAfterCancel: cb.reofferAfterCancel,
    readBack: cb.readBack,
    offerPrompt: cb.offerPrompt === 'can_order' ? 'callback-offer' : 'callback-requested',
    menuTimeoutSeconds: cb.menuTimeoutSeconds,
    menuMaxTries: cb.menuMaxTries,
    entryMaxTries: cb.entryMaxTries,
    maxWaitSeconds: q.maxWaitSeconds,
    hasOverflow: q.overflow !== null,
    announceEverySeconds: q.announce.positionEverySeconds,
    ...(q.hours ? { whenClosed: q.hours.whenClosed.action } : {}),
  };
}
