// `qcb migrate up|down|latest|status`: the kysely migrations in migrations/, against DATABASE_URL.
// `up` and `down` move one step (as in kysely-ctl and knex); `latest` applies all pending.
import type { Command } from 'commander';
import type { MigrationResult } from 'kysely';
import { loadEnv, type Env } from '../../config/index.js';
import { createDb } from '../../db/create-db.js';
import { createMigrator, MigrationError, unwrapMigration } from '../../db/migrator.js';
import { createLogger } from '../../log/logger.js';
import { CliExit, type CliIo } from '../io.js';

type Step = 'up' | 'down' | 'latest';

function report(io: CliIo, results: readonly MigrationResult[], none: string): void {
  if (results.length === 0) io.out(none);
  for (const r of results) {
    const verb = r.direction === 'Up' ? 'applied' : 'reverted';
    io.out(`${r.status === 'Success' ? verb : r.status === 'Error' ? 'FAILED ' : 'skipped'}  ${r.migrationName}`);
  }
}

async function withMigrator<T>(env: Env | undefined, what: string, run: (m: ReturnType<typeof createMigrator>) => Promise<T>): Promise<T> {
  const cfg = loadEnv(env, ['database']);
  const logger = createLogger({ level: cfg.log.level, format: cfg.log.format ?? 'pretty' });
  // The URL is checked by loadEnv (need: database).
  const { db, close } = createDb(cfg.secrets.databaseUrl ?? '', { max: 1, logger, applicationName: 'qcb-migrate' });
  try {
    return await run(createMigrator(db));
  } catch (err) {
    if (err instanceof CliExit) throw err;
    // Connection and SQL errors: say which command, no stack (postgres.js never puts the password in them).
    throw new CliExit(1, `migrate ${what}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await close().catch(() => undefined);
  }
}

async function step(io: CliIo, env: Env | undefined, which: Step): Promise<void> {
  await withMigrator(env, which, async (migrator) => {
    const set = which === 'latest' ? await migrator.migrateToLatest()
      : which === 'up' ? await migrator.migrateUp()
      : await migrator.migrateDown();
    try {
      report(io, unwrapMigration(set), which === 'down' ? 'nothing to revert' : 'already up to date');
    } catch (err) {
      if (err instanceof MigrationError) {
        report(io, err.results ?? [], '');
        throw new CliExit(1, err.message);
      }
      throw err;
    }
  });
}

async function status(io: CliIo, env: Env | undefined): Promise<void> {
  await withMigrator(env, 'status', async (migrator) => {
    const all = await migrator.getMigrations();
    for (const m of all) {
      const when = m.executedAt ? m.executedAt.toISOString() : '-';
      io.out(`${(m.executedAt ? 'applied' : 'pending').padEnd(8)} ${when.padEnd(24)}  ${m.name}`);
    }
    const pending = all.filter((m) => !m.executedAt).length;
    io.out(`${all.length - pending} applied, ${pending} pending`);
  });
}

/** Registers `migrate` and its subcommands on the program. */
export function registerMigrate(program: Command, io: CliIo, env: Env | undefined): void {
  const migrate = program.command('migrate').description('database schema migrations (DATABASE_URL)');
  migrate.command('latest').description('apply every pending migration').action(() => step(io, env, 'latest'));
  migrate.command('up').description('apply the next pending migration').action(() => step(io, env, 'up'));
  migrate.command('down').description('revert the last applied migration').action(() => step(io, env, 'down'));
  migrate.command('status').description('list migrations, applied and pending').action(() => status(io, env));
}
