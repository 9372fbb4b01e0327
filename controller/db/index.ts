// Public face of the database module.
export { createDb, type Db, type DbOptions } from './create-db.js';
export { json } from './json.js';
export { createMigrator, migrateToLatest, unwrapMigration, MigrationError, MIGRATIONS_FOLDER } from './migrator.js';
export * from './types.js';
