// A throw-away Postgres database per test file: created with a random name on the server at
// TEST_DATABASE_URL (default: local trust auth), dropped after, even with connections left open.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

// Test harness setting, read here like scripts/ensure-services.mjs does; application code gets
// its environment through controller/config only.
const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** Connection URL of the new database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database (forcing out any connection still open). */
  drop(): Promise<void>;
}

/** Creates an empty database with a random name. */
export async function createTestDatabase(prefix = 'qcb_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(SERVER_URL, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const sql = postgres(SERVER_URL, { max: 1, onnotice: () => undefined });
      try {
        await sql.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await sql.end();
      }
    },
  };
}
