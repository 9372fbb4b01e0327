// What the database commands (`agent`, `callback`, `status`) share: a one-connection pool on
// DATABASE_URL for the length of the command, their refusals as one-line exits, and the
// plain-text table they print.
import { loadEnv, type Env } from '../config/index.js';
import { createDb } from '../db/create-db.js';
import { ServiceRefusal } from '../service/service-refusal.js';
import { CliExit } from './io.js';

type Db = ReturnType<typeof createDb>['db'];

/**
 * Runs `run` with a database handle. The service layer's refusals, and errors of the classes in
 * `refusals` (the command's own "cannot do that"), exit 1 with their message; anything else exits 1 as "`what`: message".
 */
export async function withDb<T>(
  env: Env | undefined, app: string, what: string, run: (db: Db) => Promise<T>, refusals: ReadonlyArray<new (...args: never[]) => Error> = [],
): Promise<T> {
  const cfg = loadEnv(env, ['database']);
  const { db, close } = createDb(cfg.secrets.databaseUrl ?? '', { max: 1, applicationName: app });
  try {
    return await run(db);
  } catch (err) {
    if (err instanceof CliExit) throw err;
    if (err instanceof ServiceRefusal || refusals.some((r) => err instanceof r)) throw new CliExit(1, (err as Error).message);
    throw new CliExit(1, `${what}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await close().catch(() => undefined);
  }
}

/** Columns padded to their widest cell, two spaces apart; the last one is not padded. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}
