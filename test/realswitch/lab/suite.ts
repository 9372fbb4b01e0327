// Test-file plumbing for the real-switch layer: the lab (the runner's, or one of this file's
// own), a stack per test with its cleanup, and the skip line when there is no FreeSWITCH.
import type { TestContext } from 'node:test';
import { acquireLab, type LabEnv } from './lab-env.js';
import { Stack, type StackOptions } from './stack.js';

const handle = await acquireLab();

/** `describe` options: skipped, with the reason, when no FreeSWITCH is at hand. */
export const labSkip: { skip: string | false } = { skip: handle.ok ? false : `no real FreeSWITCH: ${handle.ok ? '' : handle.reason}` };

export function lab(): LabEnv {
  if (!handle.ok) throw new Error(handle.reason);
  return handle.env;
}

/** Releases this file's own lab, if it started one (use in `after`). */
export async function releaseLab(): Promise<void> {
  if (handle.ok) await handle.release();
}

/**
 * A stack for one test, closed after it whatever happens. Before closing, the test can still
 * look at everything (problems, fallback passes, rows).
 */
export async function stackFor(t: TestContext, options: StackOptions): Promise<Stack> {
  const s = await Stack.start(lab(), options);
  t.after(() => s.close());
  return s;
}
