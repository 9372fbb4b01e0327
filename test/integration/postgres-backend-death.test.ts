// The Postgres driver when a connection's backend dies under it (found by the chaos suite,
// test/chaos/: a Postgres restart crashed both the controller and the worker with
// "TypeError: Cannot read properties of null (reading 'write')" at postgres.js connection.js
// nextWrite — upstream porsager/postgres#1066, #1154, #1208, unfixed in 3.4.9).
//
// kysely runs every transaction on a connection it reserves (sql.reserve(), create-db.ts). When
// that connection's backend dies (a Postgres restart, pg_terminate_backend, a network cut), the
// reserved handle still hands its next query to the closed connection: the driver buffered the
// bytes and wrote them on the next tick to a socket it had already set to null — an exception
// no caller can catch, so the process died. patches/postgres+3.4.9.patch: a query on a closed
// connection is refused (CONNECTION_CLOSED, which the caller's retry logic already handles),
// a write with no socket is dropped, and a closing connection forgets its half-written bytes
// (else they were prepended to the next connection's startup message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createTestDatabase } from '../helpers/database.js';
import { createDb } from '../../controller/db/index.js';
import { cleanupStack } from '../helpers/cleanup.js';

test('a transaction whose backend is killed fails with a catchable error; the process and the pool live on', async (t) => {
  const defer = cleanupStack(t);
  const tdb = await createTestDatabase('qcb_pgdeath');
  defer('database', () => tdb.drop());
  const conn = createDb(tdb.url, { max: 3 });
  defer('pool', () => conn.close());
  const killer = createDb(tdb.url, { max: 1 });
  defer('killer pool', () => killer.close());
  // An uncaught exception here is the bug: record it instead of dying, and fail the test.
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => { uncaught.push(err); };
  process.on('uncaughtException', onUncaught);
  defer('handler', () => process.off('uncaughtException', onUncaught));

  for (let round = 0; round < 3; round++) {
    const err = await conn.db.transaction().execute(async (tx) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
      await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(killer.db);
      // The next statement goes to the dead connection (the socket's close may or may not
      // have been seen yet): it must reject, never hang, never throw out of band.
      await sql`select 1`.execute(tx);
      await sql`select 2`.execute(tx);
    }).then(() => null, (e: Error) => e);
    assert.ok(err instanceof Error, `round ${round}: the transaction failed`);
    // Let the driver's deferred writes (setImmediate) run.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(uncaught.map(String), [], `round ${round}: no exception escaped`);
    // The pool serves again, on a fresh connection.
    const { rows } = await sql<{ n: number }>`select 42 as n`.execute(conn.db);
    assert.equal(rows[0]!.n, 42);
    const inTx = await conn.db.transaction().execute(async (tx) => (await sql<{ n: number }>`select 7 as n`.execute(tx)).rows[0]!.n);
    assert.equal(inTx, 7);
  }
});
