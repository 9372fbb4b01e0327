// Runs the kysely migrations in migrations/. The folder is found relative to this module, so
// the same code works from the TypeScript source (tsx: controller/db → migrations/*.ts) and
// from the build (dist/controller/db → dist/migrations/*.js).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileMigrationProvider, Migrator, type Kysely, type MigrationResultSet } from 'kysely';

/** Absolute path of the migrations folder next to this build of the code. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations/', import.meta.url));

/**
 * A kysely Migrator over `folder` (default: the project's migrations). FileMigrationProvider
 * takes .js, .ts (not .d.ts), .mjs and .mts files; a migration's name is its file name
 * without the extension, so a .ts source and its compiled .js are the same migration.
 */
export function createMigrator(db: Kysely<any>, folder: string = MIGRATIONS_FOLDER): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: folder }),
  });
}

/** Thrown when a migration step failed; carries what ran before the failure. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  readonly results: MigrationResultSet['results'];
  constructor(results: MigrationResultSet['results'], cause: unknown) {
    const failed = results?.find((r) => r.status === 'Error');
    super(`migration ${failed ? `"${failed.migrationName}" ` : ''}failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.results = results;
  }
}

/** Throws MigrationError when a migration run failed; otherwise returns its results. */
export function unwrapMigration(set: MigrationResultSet): NonNullable<MigrationResultSet['results']> {
  if (set.error !== undefined) throw new MigrationError(set.results, set.error);
  return set.results ?? [];
}

/** Applies every pending migration; throws MigrationError on failure. */
export async function migrateToLatest(db: Kysely<any>, folder?: string): Promise<NonNullable<MigrationResultSet['results']>> {
  return unwrapMigration(await createMigrator(db, folder).migrateToLatest());
}
