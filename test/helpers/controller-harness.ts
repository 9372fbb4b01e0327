// A controller on real parts for call-flow tests: a fresh Postgres database with the schema
// and the config synced, the ESL outbound server with the call handler, and the FreeSWITCH
// simulator placing calls into it. Prompts resolve to this repo's prompts/ folder, so the
// simulator's playback finds (or misses) the real files.
//
// Note for tests run through tsx: give every `assert.ok(x)` a message. Without one, Node builds
// the message by re-reading the source at the failing line, which under tsx's source maps can
// hang until the test times out (seen here: a 30 s hang instead of the assertion's failure).
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import winston from 'winston';
import { FakeSwitch, type SimChannel, type PartyScript } from '../fakeswitch/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createDb, migrateToLatest, type Db } from '../../controller/db/index.js';
import { syncConfig } from '../../controller/db/config-sync.js';
import { PgCallEntryStore } from '../../controller/db/entry-store.js';
import { parseConfig, type Config } from '../../controller/config/index.js';
import { EslOutboundServer } from '../../controller/esl/outbound-server.js';
import type { OutboundSession } from '../../controller/esl/outbound-session.js';
import { createCallHandler } from '../../controller/callflow/call-controller.js';
import { pgAgentStatus } from '../../controller/agentcodes/agent-status.js';
import { PgEntryNews } from '../../controller/db/entry-news.js';
import type { CallEntryStore } from '../../controller/callflow/ports.js';
import type { FlowOutcome } from '../../controller/callflow/types.js';
import { CommandReader } from '../fakeswitch/wire/command-reader.js';

export const PROMPTS_DIR = fileURLToPath(new URL('../../prompts', import.meta.url));

export type CallOutcome = FlowOutcome | 'unknown_queue';

export interface Harness {
  readonly fs: FakeSwitch;
  readonly db: Db;
  readonly config: Config;
  readonly store: PgCallEntryStore;
  /** Warnings and errors the controller logged (a flow that "goes on" must not log errors). */
  readonly problems: LogLine[];
  /**
   * The controller's side of a call (its outbound-socket session), once it has one: e.g.
   * `sessionOf(uuid).hungUp` resolves when the controller has received CHANNEL_HANGUP.
   */
  sessionOf(channelUuid: string): OutboundSession | undefined;
  /** Where the controller's outbound server listens (what the dialplan's `socket` app dials). */
  readonly address: { host: string; port: number };
  /**
   * Places a call to `destination`; `outcome` resolves when the controller is done with it (with
   * the first session's outcome when the call comes back through `afterSocket`).
   */
  call(opts: { destination: string; callerIdNumber?: string; callerIdName?: string; variables?: Record<string, string>; party?: PartyScript; afterSocket?: Array<[string, string]> }): Promise<{ channel: SimChannel; outcome: Promise<CallOutcome> }>;
  close(): Promise<void>;
}

/** Starts everything; `yaml` holds `queues:` and `agents:` (the rest is filled in). */
export async function startHarness(yaml: string, options: {
  timeScale?: number; config?: (c: Config) => Config;
  /** Wraps the call flow's store (a test that holds a write back to order it against dispatch). */
  wrapStore?: (store: CallEntryStore) => CallEntryStore;
  /** The simulator's sessions-per-second (its throttle, switch-core.ts); none by default. */
  sessionsPerSecond?: number;
  /** Extra keys of the fs1 node, inline YAML (e.g. `originateSessionsPerSecond: 100`). */
  nodeKeys?: string;
  /** More environment for the config (e.g. agents' QCB_AGENT_PIN_<ID>). */
  env?: Record<string, string>;
} = {}): Promise<Harness> {
  const timeScale = options.timeScale ?? 0.01;
  const testDb: TestDatabase = await createTestDatabase('qcb_flow');
  const text = `freeswitch:\n  nodes: [{ name: fs1, host: 127.0.0.1${options.nodeKeys ? `, ${options.nodeKeys}` : ''} }]\nprompts:\n  directory: ${PROMPTS_DIR}\n  defaultLanguage: en\n${yaml}`;
  let config = parseConfig(text, { DATABASE_URL: testDb.url, REDIS_URL: 'redis://127.0.0.1:6379', ESL_PASSWORD: 'ClueCon', ...options.env });
  if (options.config) config = options.config(config);
  const db = createDb(testDb.url, { max: 5 });
  await migrateToLatest(db.db);
  await syncConfig(db.db, config);
  const store = new PgCallEntryStore(db.db);
  // Dispatch's news of the callers' entries (NOTIFY qcb_caller), as run-controller.ts wires it.
  const news = new PgEntryNews(recordingLogger([]));
  await news.start(db.sql);
  const outcomes = new Map<string, (o: CallOutcome) => void>();
  const early = new Map<string, CallOutcome>();
  const problems: LogLine[] = [];
  const handler = createCallHandler({
    config, store: options.wrapStore ? options.wrapStore(store) : store, logger: recordingLogger(problems), timeScale, commandTimeoutMs: 3000, entryWatch: news,
    agentStatus: pgAgentStatus(db.db),
    onCallEnded: ({ channelUuid, outcome }) => {
      const resolve = outcomes.get(channelUuid);
      if (resolve) resolve(outcome);
      else early.set(channelUuid, outcome);
    },
  });
  const sessions = new Map<string, OutboundSession>();
  const server = new EslOutboundServer({
    port: 0,
    // The server's own lines (a connect that failed, a malformed frame) count as the controller's.
    logger: recordingLogger(problems),
    handler: (session) => {
      sessions.set(session.uuid, session);
      return handler(session);
    },
    lingerSeconds: 1,
    commandTimeoutMs: 3000,
  });
  const address = await server.listen();
  const fs = await FakeSwitch.start({ timeScale, sessionsPerSecond: options.sessionsPerSecond });
  const pending = new Set<Promise<CallOutcome>>();
  return {
    fs, db, config, store, problems, address,
    sessionOf: (uuid) => sessions.get(uuid),
    async call(opts) {
      const channel = await fs.placeCall({ target: address, ...opts });
      const outcome = new Promise<CallOutcome>((resolve) => {
        const e = early.get(channel.uuid);
        if (e) resolve(e);
        else outcomes.set(channel.uuid, resolve);
      });
      pending.add(outcome);
      void outcome.then(() => pending.delete(outcome));
      return { channel, outcome };
    },
    async close() {
      // Calls a failed test left up are hung up first, so that their sessions end the normal
      // way (a session whose socket is just dropped never gets CHANNEL_HANGUP and would keep
      // its timers running).
      for (const ch of fs.channels()) if (!ch.hungUp) ch.hangup();
      await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, 2000).unref())]);
      await Promise.allSettled([server.close(), fs.stop()]);
      await news.stop();
      await db.close();
      await testDb.drop();
    },
  };
}

/** Waits until the channel runs `app` (optionally with an argument matching `arg`). */
export async function waitForApp(channel: SimChannel, app: string, arg?: RegExp): Promise<Map<string, string>> {
  return channel.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application') === app && (!arg || arg.test(h.get('Application-Data') ?? '')), 5000, { includePast: false });
}

/**
 * Resolves when the channel has started `app` for the `nth` time (counting every start of that
 * app), whether that happened already or happens later. With `arg`, the starts counted are only
 * those whose argument matches. Resolution is synchronous with the simulator firing
 * CHANNEL_EXECUTE, so digits sent right after reach that very app.
 */
export async function appStarted(channel: SimChannel, app: string, opts: { arg?: RegExp; nth?: number; timeoutMs?: number } = {}): Promise<Map<string, string>> {
  const nth = opts.nth ?? 1;
  const is = (h: Map<string, string>) => h.get('Event-Name') === 'CHANNEL_EXECUTE' && h.get('Application') === app
    && (!opts.arg || opts.arg.test(h.get('Application-Data') ?? ''));
  const seen = () => channel.history.filter(is);
  const past = seen();
  if (past.length >= nth) return past[nth - 1]!;
  try {
    return await channel.waitForEvent('CHANNEL_EXECUTE', (h) => is(h) && seen().length >= nth, opts.timeoutMs ?? 5000);
  } catch (err) {
    const ran = channel.appLog.map((a) => `${a.app} ${a.arg.replaceAll(PROMPTS_DIR, '')}`).join('\n  ');
    throw new Error(`${(err as Error).message}: start #${nth} of ${app} ${opts.arg ?? ''}; apps run:\n  ${ran}`);
  }
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

/** One warn/error line the controller logged. */
export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly meta: Record<string, unknown>;
}

/** A logger that keeps warn and error lines in `into` and prints nothing. */
export function recordingLogger(into: LogLine[]): winston.Logger {
  const sink = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _enc, done) {
      const { level, message, ...meta } = info;
      into.push({ level: String(level), message: String(message), meta });
      done();
    },
  });
  return winston.createLogger({ level: 'warn', transports: [new winston.transports.Stream({ stream: sink })] });
}

type EntryRow = Awaited<ReturnType<typeof entryRows>>[number];

function entryRows(h: Harness, channelUuid: string) {
  return h.db.db.selectFrom('queue_entries').selectAll().where('channel_uuid', '=', channelUuid).orderBy('id').execute();
}

/** Every entry that ever held this channel's place, oldest first. */
export function entriesOf(h: Harness, channelUuid: string): Promise<EntryRow[]> {
  return entryRows(h, channelUuid);
}

/** An entry by id. */
export function entry(h: Harness, id: string): Promise<EntryRow> {
  return h.db.db.selectFrom('queue_entries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The event log of an entry, oldest first. */
export async function eventsOf(h: Harness, entryId: string): Promise<Array<{ type: string; at: Date; details: Record<string, unknown> }>> {
  const rows = await h.db.db.selectFrom('call_events').select(['event_type', 'at', 'details']).where('entry_id', '=', entryId).orderBy('id').execute();
  return rows.map((r) => ({ type: r.event_type, at: r.at, details: (r.details ?? {}) as Record<string, unknown> }));
}

/** The flow's own transitions (`call.*`) of an entry, in order, without the prefix. */
export async function flowEvents(h: Harness, entryId: string): Promise<string[]> {
  return (await eventsOf(h, entryId)).filter((e) => e.type.startsWith('call.')).map((e) => e.type.slice(5));
}

/**
 * Waits until `check` returns a value other than undefined/false, polling the database state
 * it reads (there is no event to await for a row change). Fails after `timeoutMs`.
 */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The audio files a channel was asked to play (playback and play_and_get_digits prompts), in order. */
export function filesPlayed(channel: SimChannel): string[] {
  const out: string[] = [];
  for (const { app, arg } of channel.appLog) {
    if (app !== 'playback' && app !== 'play_and_get_digits') continue;
    const spec = app === 'playback' ? arg : arg.split(' ')[5] ?? '';
    const list = spec.startsWith('file_string://') ? spec.slice('file_string://'.length).split('!') : [spec];
    for (const f of list) if (f.endsWith('.wav')) out.push(f);
  }
  return out;
}

/**
 * Every prompt the channel played is a file of `language` that exists in the 8 kHz set
 * (prompts/<lang>/8000/<id>.wav, where mod_sndfile finds it), and no playback answered
 * FILE NOT FOUND.
 */
export function assertPromptFiles(channel: SimChannel, language: 'en' | 'uk' | 'ru' = 'en'): void {
  const files = filesPlayed(channel);
  if (files.length === 0) throw new Error('no prompt was played');
  for (const f of files) {
    const m = /^(.*)\/([a-z]{2})\/([a-z0-9-]+)\.wav$/.exec(f);
    if (!m || m[1] !== PROMPTS_DIR || m[2] !== language) throw new Error(`played ${f}, not a ${language} prompt of ${PROMPTS_DIR}`);
    if (!existsSync(`${PROMPTS_DIR}/${language}/8000/${m[3]}.wav`)) throw new Error(`prompt file missing: ${language}/8000/${m[3]}.wav`);
  }
  const missing = channel.appLog.filter((a) => a.response === 'FILE NOT FOUND');
  if (missing.length) throw new Error(`FILE NOT FOUND: ${JSON.stringify(missing)}`);
}

/** One ESL command the simulator received: the command line, its headers and body, as text. */
export interface ReceivedCommand {
  readonly command: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

/**
 * Records every ESL command the simulator parses in this process (inbound and outbound sockets),
 * decoded as FreeSWITCH would read it. Returns the list and a function that stops recording.
 */
export function recordEslCommands(): { commands: ReceivedCommand[]; stop(): void } {
  const commands: ReceivedCommand[] = [];
  const original = Object.getOwnPropertyDescriptor(CommandReader.prototype, 'push')!;
  const push = original.value as CommandReader['push'];
  CommandReader.prototype.push = function recordingPush(this: CommandReader, chunk: Buffer) {
    const out = push.call(this, chunk);
    for (const c of out) commands.push({ command: c.command, headers: c.headers, body: c.body?.toString('utf8') ?? '' });
    return out;
  };
  return { commands, stop: () => { Object.defineProperty(CommandReader.prototype, 'push', original); } };
}

/** A distinct valid callback number per call (the queues allow 0 + nine digits). */
let numberSeq = 0;
export function freshNumber(): string {
  numberSeq += 1;
  return `05000${String(numberSeq).padStart(5, '0')}`;
}

/** The prompt ids of a number read digit by digit. */
export function digits(number: string): string[] {
  return [...number].map((d) => `digit-${d}`);
}
