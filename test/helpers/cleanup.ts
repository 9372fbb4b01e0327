// Cleanup that runs whatever happened: steps are registered as resources are made and run in
// reverse order after the test (t.after), each one even if an earlier one failed or hung
// (a step gets `stepTimeoutMs`), so a failing test still leaves no process, database or Redis
// key behind. Failures are reported together at the end.
import type { TestContext } from 'node:test';

export type Defer = (what: string, step: () => unknown) => void;

export function cleanupStack(t: TestContext, stepTimeoutMs = 15_000): Defer {
  const steps: Array<{ what: string; step: () => unknown }> = [];
  t.after(async () => {
    const failed: string[] = [];
    for (const { what, step } of steps.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(step),
          new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`still running after ${stepTimeoutMs} ms`)), stepTimeoutMs); }),
        ]);
      } catch (err) {
        failed.push(`${what}: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    }
    if (failed.length > 0) throw new Error(`cleanup: ${failed.join('; ')}`);
  });
  return (what, step) => { steps.push({ what, step }); };
}
