import { EslTimeoutError } from './errors/esl-timeout-error.js';

interface Pending {
  readonly operation: string;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** Settles a pending call exactly once. */
export interface Settle<T> {
  resolve(value: T): void;
  reject(err: Error): void;
  /** False once the call timed out, was rejected on close, or settled. */
  readonly open: boolean;
}

/**
 * Every FreeSWITCH call still waiting for an answer on one connection. Each has a deadline
 * (EslTimeoutError) and all of them reject together when the socket closes -- modesl's own
 * callbacks would otherwise wait forever.
 */
export class PendingCalls {
  readonly #pending = new Set<Pending>();

  /** Number of calls still waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Starts a call: `start` sends it and keeps `settle` for the answer. Rejects with
   * EslTimeoutError after `timeoutMs`; `onGiveUp` runs when the call ends without an answer
   * (timeout or close), to drop correlation state.
   */
  add<T>(operation: string, timeoutMs: number, start: (settle: Settle<T>) => void, onGiveUp?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let open = true;
      const finish = (): boolean => {
        if (!open) return false;
        open = false;
        clearTimeout(entry.timer);
        this.#pending.delete(entry);
        return true;
      };
      const entry: Pending = {
        operation,
        reject: (err) => {
          if (finish()) {
            onGiveUp?.();
            reject(err);
          }
        },
        timer: setTimeout(() => entry.reject(new EslTimeoutError(operation, timeoutMs)), timeoutMs),
      };
      this.#pending.add(entry);
      const settle: Settle<T> = {
        resolve: (v) => { if (finish()) resolve(v); },
        reject: (err) => { if (finish()) reject(err); },
        get open() { return open; },
      };
      try {
        start(settle);
      } catch (err) {
        entry.reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Rejects every pending call with the error `make` builds for it. */
  rejectAll(make: (operation: string) => Error): void {
    for (const p of [...this.#pending]) p.reject(make(p.operation));
  }
}
