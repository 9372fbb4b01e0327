// Memoized, complete shutdown: every closer runs even when an earlier one fails, in order,
// and a second signal does not start a second shutdown.
import type { Logger } from '../log/logger.js';

export interface Closer {
  readonly name: string;
  close(): Promise<unknown>;
}

/** Runs the closers in order; resolves when all have run (failures are logged, not thrown). */
export function makeShutdown(log: Logger, closers: () => readonly Closer[]): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= (async () => {
    for (const c of closers()) {
      try {
        await c.close();
      } catch (err) {
        log.error(`shutdown: closing ${c.name} failed`, { err });
      }
    }
  })());
}

/** Calls `shutdown` on SIGTERM/SIGINT, then exits; a second signal exits at once. */
export function onSignals(log: Logger, shutdown: () => Promise<void>): void {
  let signalled = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    signalled = true;
    log.info(`${signal}: shutting down`);
    void shutdown().then(() => process.exit(0));
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
