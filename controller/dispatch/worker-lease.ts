// A worker's lease on the attempts it carries out (issue 8b). Each worker process holds a
// session-level advisory lock, `pg_advisory_lock(<its key>)`, on a connection of its own, and
// stamps its key on every attempt it rings (`callback_attempts.owner_key`). While the process
// lives, the lock is held; when it dies — kill -9 included — the kernel closes its socket,
// Postgres ends the session and releases the lock at once. Another worker then finds the lock
// free (`pg_try_advisory_xact_lock_shared(owner_key)` succeeds) and takes the attempt over
// (attempt-store.ts adopt, adopt-attempt.ts): in about a second, where BullMQ's stalled-job
// check took a minute.
//
// A host that vanishes without closing its sockets is noticed by Postgres's TCP keepalive,
// set short on this one session (about 11 s), not by the system default (two hours).
//
// The lock needs a real session: through PgBouncer in transaction mode it would be released
// at the end of each transaction (README.md, "Several workers").
//
// When the lease connection drops while the process lives (a network blip, Postgres
// restarting), the lease is taken again with the SAME key: the attempts not adopted meanwhile
// stay this worker's. Attempts adopted meanwhile are no longer ours: every step of an attempt
// is written only while `owner_key` is still this key (attempt-store.ts), so a worker that lost
// one leaves its legs to the adopter. After a loss this worker adopts nothing for a grace
// period: when Postgres restarts every lease is lost at once, and the others need a moment to
// take theirs back.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Logger } from '../log/logger.js';

export interface LeaseOptions {
  readonly logger: Logger;
  /** How often the lease connection is checked (a half-open TCP connection sends no close). */
  readonly checkMs?: number;
  /** After the lease was lost and taken back, how long before this worker adopts others' attempts. */
  readonly graceMs?: number;
  readonly applicationName?: string;
}

/** A random positive 63-bit key, as Postgres bigint text. */
export function newLeaseKey(): string {
  return (randomBytes(8).readBigUInt64BE() >> 1n || 1n).toString();
}

export class WorkerLease {
  /** This worker's key: `callback_attempts.owner_key` of the attempts it carries out. */
  readonly key: string;
  readonly #url: string;
  readonly #o: Required<Omit<LeaseOptions, 'logger'>> & { logger: Logger };
  #sql: postgres.Sql | undefined;
  #held = false;
  #heldSince = 0;
  #lostOnce = false;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(url: string, options: LeaseOptions, key = newLeaseKey()) {
    this.key = key;
    this.#url = url;
    this.#o = { checkMs: 1000, graceMs: 3000, applicationName: 'qcb-worker-lease', ...options };
  }

  /** Takes the lease (waits for the lock) and starts watching the connection. */
  async start(): Promise<void> {
    await this.#acquire();
    this.#timer = setInterval(() => {
      this.#checking ??= this.#check().finally(() => { this.#checking = undefined; });
    }, this.#o.checkMs);
    this.#timer.unref?.();
  }

  /** True while the lock is held (as far as the last check knows). */
  get held(): boolean {
    return this.#held;
  }

  /**
   * May this worker take others' attempts over now? Only while its own lease is held, and —
   * after it had lost it — only once it has held it again for the grace period.
   */
  get mayAdopt(): boolean {
    return this.#held && (!this.#lostOnce || Date.now() - this.#heldSince >= this.#o.graceMs);
  }

  async #acquire(): Promise<void> {
    const sql = postgres(this.#url, {
      max: 1,
      idle_timeout: 0,
      // never recycled: a new connection would be a new session without the lock
      max_lifetime: null,
      connect_timeout: 10,
      onnotice: () => undefined,
      onclose: () => { if (this.#sql === sql) this.#lost('connection closed'); },
      // Postgres notices a vanished worker host by TCP keepalive on this session (seconds, not
      // the system default of two hours): idle 5 s, then 3 probes 2 s apart.
      connection: { application_name: this.#o.applicationName, tcp_keepalives_idle: 5, tcp_keepalives_interval: 2, tcp_keepalives_count: 3 } as Record<string, string | number>,
    });
    try {
      await sql`select pg_advisory_lock(${this.key}::bigint)`;
    } catch (err) {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      throw err;
    }
    this.#sql = sql;
    this.#held = true;
    this.#heldSince = Date.now();
  }

  #lost(reason: string): void {
    if (!this.#held || this.#closing) return;
    this.#held = false;
    this.#lostOnce = true;
    this.#o.logger.warn('worker lease lost: taking it back (attempts adopted meanwhile belong to their adopter)', { reason, key: this.key });
    const old = this.#sql;
    this.#sql = undefined;
    void old?.end({ timeout: 1 }).catch(() => undefined);
  }

  async #check(): Promise<void> {
    if (this.#closing) return;
    if (this.#held && this.#sql) {
      try {
        await this.#sql`select 1`;
        return;
      } catch (err) {
        this.#lost((err as Error).message);
      }
    }
    try {
      await this.#acquire();
      this.#o.logger.info('worker lease taken back', { key: this.key });
    } catch (err) {
      this.#o.logger.warn('worker lease: cannot take it back yet', { err: (err as Error).message });
    }
  }

  /** Releases the lock (closing the session) and stops watching. Memoized. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      await this.#checking?.catch(() => undefined);
      this.#held = false;
      const sql = this.#sql;
      this.#sql = undefined;
      await sql?.end({ timeout: 2 }).catch(() => undefined);
    })();
    return this.#closing;
  }
}
