// A controller on real parts for call-flow tests: a fresh Postgres database with the schema
// and the config synced, the ESL outbound server with the call handler, and the FreeSWITCH
// simulator placing calls into it. Prompts resolve to this repo's prompts/ folder, so the
// simulator's playback finds (or misses) the real files.
import { fileURLToPath } from 'node:url';
import { FakeSwitch, type SimChannel, type PartyScript } from '../fakeswitch/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createDb, migrateToLatest, type Db } from '../../controller/db/index.js';
import { syncConfig } from '../../controller/db/config-sync.js';
import { PgCallEntryStore } from '../../controller/db/entry-store.js';
import { parseConfig, type Config } from '../../controller/config/index.js';
import { EslOutboundServer } from '../../controller/esl/outbound-server.js';
import { createCallHandler } from '../../controller/callflow/call-controller.js';
import type { FlowOutcome } from '../../controller/callflow/types.js';
import { silentLogger } from '../../controller/log/logger.js';

export const PROMPTS_DIR = fileURLToPath(new URL('../../prompts', import.meta.url));

export type CallOutcome = FlowOutcome | 'unknown_queue';

export interface Harness {
  readonly fs: FakeSwitch;
  readonly db: Db;
  readonly config: Config;
  readonly store: PgCallEntryStore;
  /** Places a call to `destination`; `outcome` resolves when the controller is done with it. */
  call(opts: { destination: string; callerIdNumber?: string; callerIdName?: string; variables?: Record<string, string>; party?: PartyScript }): Promise<{ channel: SimChannel; outcome: Promise<CallOutcome> }>;
  close(): Promise<void>;
}

/** Starts everything; `yaml` holds `queues:` and `agents:` (the rest is filled in). */
export async function startHarness(yaml: string, options: { timeScale?: number; config?: (c: Config) => Config } = {}): Promise<Harness> {
  const timeScale = options.timeScale ?? 0.01;
  const testDb: TestDatabase = await createTestDatabase('qcb_flow');
  const text = `freeswitch:\n  nodes: [{ name: fs1, host: 127.0.0.1 }]\nprompts:\n  directory: ${PROMPTS_DIR}\n  defaultLanguage: en\n${yaml}`;
  let config = parseConfig(text, { DATABASE_URL: testDb.url, REDIS_URL: 'redis://127.0.0.1:6379', ESL_PASSWORD: 'ClueCon' });
  if (options.config) config = options.config(config);
  const db = createDb(testDb.url, { max: 5 });
  await migrateToLatest(db.db);
  await syncConfig(db.db, config);
  const store = new PgCallEntryStore(db.db);
  const outcomes = new Map<string, (o: CallOutcome) => void>();
  const early = new Map<string, CallOutcome>();
  const handler = createCallHandler({
    config, store, logger: silentLogger(), timeScale, commandTimeoutMs: 3000,
    onCallEnded: ({ channelUuid, outcome }) => {
      const resolve = outcomes.get(channelUuid);
      if (resolve) resolve(outcome);
      else early.set(channelUuid, outcome);
    },
  });
  const server = new EslOutboundServer({ port: 0, handler, lingerSeconds: 1, commandTimeoutMs: 3000 });
  const address = await server.listen();
  const fs = await FakeSwitch.start({ timeScale });
  return {
    fs, db, config, store,
    async call(opts) {
      const channel = await fs.placeCall({ target: address, ...opts });
      const outcome = new Promise<CallOutcome>((resolve) => {
        const e = early.get(channel.uuid);
        if (e) resolve(e);
        else outcomes.set(channel.uuid, resolve);
      });
      return { channel, outcome };
    },
    async close() {
      await Promise.allSettled([server.close(), fs.stop()]);
      await db.close();
      await testDb.drop();
    },
  };
}

/** Waits until the channel runs `app` (optionally with an argument matching `arg`). */
export async function waitForApp(channel: SimChannel, app: string, arg?: RegExp): Promise<Map<string, string>> {
  return channel.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application') === app && (!arg || arg.test(h.get('Application-Data') ?? '')), 5000, { includePast: false });
}

/** The prompt ids played on a channel so far, in order (from playback / play_and_get_digits args). */
export function promptsPlayed(channel: SimChannel): string[] {
  const out: string[] = [];
  for (const { app, arg } of channel.appLog) {
    if (app !== 'playback' && app !== 'play_and_get_digits') continue;
    for (const m of arg.matchAll(/\/(?:en|uk|ru)\/([a-z0-9-]+)\.wav/g)) out.push(m[1]!);
  }
  return out;
}
