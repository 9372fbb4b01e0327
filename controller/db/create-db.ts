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
  const db = new Kysely<Database>({ dialect: new PostgresJSDialect({ postgres: async () => preparing(sql) }) });
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

/**
 * The pool as kysely-postgres-js sees it, with kysely's queries prepared.
 *
 * That dialect runs every query through postgres.js `unsafe()`, which never prepares: a query
 * with parameters then costs two round trips (Parse + Describe, to learn the parameter types,
 * then Bind + Execute: postgres.js connection.js, `describeFirst`) and is planned anew each
 * time. Prepared, it is one round trip and planned once per connection (postgres.js keeps the
 * statements per connection, and re-prepares one that a migration made stale). This halved
 * the matcher's share of dispatch latency (BENCHMARKS.md). `?prepare=false` in DATABASE_URL
 * (postgres.js reads it there) turns it off, e.g. behind PgBouncer in transaction mode.
 */
function preparing(sql: postgres.Sql): postgres.Sql {
  const prepare = sql.options.prepare !== false;
  const reserve = async (): Promise<postgres.ReservedSql> => {
    const conn = await sql.reserve();
    const unsafe = conn.unsafe.bind(conn);
    const run = (query: string, args?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
      unsafe(query, args, { prepare, ...options });
    let beginPending = false;
    conn.unsafe = ((query: string, args?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) => {
      // kysely starts a transaction with a `begin` of its own and waits for its answer: one
      // round trip before the first statement, in every transaction (the worker's steps are
      // transactions of 2-6 statements). Postgres answers `begin` with nothing to decide on,
      // so it is held back here and sent with the transaction's first statement, in the same
      // write (postgres.js pipelines the queries of one connection): one round trip fewer per
      // transaction (BENCHMARKS.md, callbacks per second). A failed `begin` fails that
      // statement, as it would have failed the transaction.
      if (query === 'begin' && !beginPending && (args === undefined || args.length === 0)) {
        beginPending = true;
        return Promise.resolve(Object.assign([], { command: 'BEGIN', count: null })) as unknown as postgres.PendingQuery<postgres.Row[]>;
      }
      if (!beginPending) return run(query, args, options);
      beginPending = false;
      const begun = run('begin').execute();
      const statement = run(query, args, options).execute();
      return begun.then(() => statement, (err: unknown) => {
        statement.catch(() => undefined);
        throw err;
      }) as unknown as postgres.PendingQuery<postgres.Row[]>;
    }) as typeof conn.unsafe;
    return conn;
  };
  // The dialect uses only reserve() (a connection per kysely connection) and end().
  return { reserve, end: (o?: { timeout?: number }) => sql.end(o) } as unknown as postgres.Sql;
}
