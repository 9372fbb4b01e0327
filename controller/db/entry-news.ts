// What dispatch does with live callers' entries, heard by the controller: a trigger
// (migrations/…_caller_news.ts) NOTIFYs `qcb_caller` with `<entry id>:reserved` when an agent is
// reserved for a caller and `<entry id>:released` when that ring ended without a connection.
// One LISTEN per controller process; sessions register the entry they hold (EntryWatch).
//
// Best effort by design: a notification lost while the listening connection reconnects only
// makes the news late (the bridge still takes the caller when the agent answers, and a `*`
// still loses to the reservation in the row: PgCallEntryStore.convertToCallback).
import type postgres from 'postgres';
import type { Logger } from '../log/logger.js';
import type { EntryNews, EntryWatch } from '../callflow/ports.js';

/** Channel name; the migration keeps its own copy (migrations never import app code). */
export const CALLER_NEWS_CHANNEL = 'qcb_caller';

/** Parses `<entry id>:<news>`; null for anything else. */
export function parseEntryNews(payload: string): { entryId: string; news: EntryNews } | null {
  const m = /^([0-9]{1,18}):(reserved|released)$/.exec(payload);
  return m ? { entryId: m[1]!, news: m[2] as EntryNews } : null;
}

export class PgEntryNews implements EntryWatch {
  readonly #byEntry = new Map<string, Set<(news: EntryNews) => void>>();
  readonly #log: Logger;
  #sub: { unlisten(): Promise<void> } | undefined;

  constructor(logger: Logger) {
    this.#log = logger;
  }

  /** LISTENs (postgres.js keeps a connection for it and listens again after a reconnect). */
  async start(sql: postgres.Sql): Promise<void> {
    this.#sub = await sql.listen(CALLER_NEWS_CHANNEL, (payload) => this.#deliver(payload));
  }

  watch(entryId: string, onNews: (news: EntryNews) => void): () => void {
    let set = this.#byEntry.get(entryId);
    if (!set) this.#byEntry.set(entryId, (set = new Set()));
    set.add(onNews);
    return () => {
      set.delete(onNews);
      if (set.size === 0 && this.#byEntry.get(entryId) === set) this.#byEntry.delete(entryId);
    };
  }

  /** Entries watched now (leak checks). */
  get watched(): number {
    return this.#byEntry.size;
  }

  #deliver(payload: string): void {
    const n = parseEntryNews(payload);
    if (!n) {
      this.#log.warn('unexpected caller news', { payload: payload.slice(0, 100) });
      return;
    }
    for (const fn of [...(this.#byEntry.get(n.entryId) ?? [])]) fn(n.news);
  }

  async stop(): Promise<void> {
    await this.#sub?.unlisten().catch(() => undefined);
    this.#sub = undefined;
  }
}
