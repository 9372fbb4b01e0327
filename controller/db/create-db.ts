// One Postgres pool per process: postgres.js underneath, kysely on top. Both are handed out:
// kysely for typed queries, `sql` for what kysely does not do (LISTEN/NOTIFY, COPY).
import { Kysely } from 'kysely';
import { PostgresJSDialect } from 'kysely-postgres-js';
import postgres from 'postgres';
import type { Logger } from '../log/logger.js';
import type { Database } from './types.js';

export interface DbOptions {
  /** Pool size; default 10. */
  max?: number;
  /** Seconds to wait for a connection; default 10. */
  connectTimeoutSeconds?: number;
  /** Gets Postgres NOTICEs (at debug); without it they are dropped, not printed. */
  logger?: Logger;
  /** `application_name` shown in pg_stat_activity; default "qcb". */
  applicationName?: string;
}

export interface Db {
  readonly db: Kysely<Database>;
  readonly sql: postgres.Sql;
  /** Ends the pool; safe to call more than once. */
  close(): Promise<void>;
}

/** Opens a pool on `url` (connections are made lazily, on first query). */
export function createDb(url: string, options: DbOptions = {}): Db {
  const sql = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    // postgres.js prints notices with console.log by default ("relation … already exists,
    // skipping" on every migrate); route them to the logger instead.
    onnotice: (notice) => options.logger?.debug('postgres notice', { notice: notice.message }),
    connection: { application_name: options.applicationName ?? 'qcb' },
  });
  const db = new Kysely<Database>({ dialect: new PostgresJSDialect({ postgres: sql }) });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    // db.destroy() ends `sql` only if kysely ever used it; end it ourselves as well (idempotent),
    // and do both even if the first fails.
    closing ??= Promise.allSettled([db.destroy(), sql.end({ timeout: 5 })]).then((results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    });
    return closing;
  };
  return { db, sql, close };
}
