// The config sync as daemons run it: a controller and a worker started together on a fresh
// database sync the same queues and agents at the same moment. Before they took turns, the
// second insert of a queue tripped the unique index on its extension and that daemon exited
// ("duplicate key value violates unique constraint queues_active_extension_key").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../helpers/database.js';
import { createDb, migrateToLatest } from '../../controller/db/index.js';
import { syncConfig } from '../../controller/db/config-sync.js';
import { parseConfig } from '../../controller/config/index.js';

test('several daemons syncing one config at once on fresh databases: all succeed, one row per queue and agent', async () => {
  for (let round = 0; round < 5; round++) {
    const tdb = await createTestDatabase('qcb_sync');
    const config = parseConfig(`
queues:
${Array.from({ length: 40 }, (_, i) => `  - { name: q${i}, extension: "8${String(i).padStart(3, '0')}", callback: { mode: "off" } }`).join('\n')}
agents:
${Array.from({ length: 8 }, (_, i) => `  - { id: a${i}, contact: user/10${i}0, tiers: [{ queue: q${i} }] }`).join('\n')}
`, { DATABASE_URL: tdb.url });
    const pools = Array.from({ length: 6 }, () => createDb(tdb.url, { max: 1 }));
    try {
      await migrateToLatest(pools[0]!.db);
      await Promise.all(pools.map((p) => p.db.selectFrom('queues').select('id').execute())); // connected, all of them
      await Promise.all(pools.map((p) => syncConfig(p.db, config)));
      const queues = await pools[0]!.db.selectFrom('queues').select('id').execute();
      const agents = await pools[0]!.db.selectFrom('agents').select('id').execute();
      assert.equal(queues.length, 40);
      assert.equal(agents.length, 8);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
      await tdb.drop();
    }
  }
});
