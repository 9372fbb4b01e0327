// jsonb parameters. Passing a JS value straight through is a trap with postgres.js: an object
// happens to work, but an array is sent as a Postgres array, and a pre-stringified value cast
// with `::jsonb` is encoded twice (stored as a JSON string). JSON text cast from text is exact
// for every JSON value, so jsonb columns take only what this helper makes (see types.ts).
import { sql, type RawBuilder } from 'kysely';
import type { JsonParam } from './types.js';

/** A jsonb value for inserts and updates: `details: json({ key: 'x' })`. */
export function json(value: unknown): RawBuilder<JsonParam> {
  return sql<JsonParam>`cast(${JSON.stringify(value ?? null)}::text as jsonb)`;
}
