// `npm run demo`: the whole system on the FreeSWITCH simulator, needing only Postgres and Redis
// (found or started like `npm test` does: scripts/ensure-services.mjs). The real controller,
// worker and admin service run in this process; scripted callers keep arriving; agents start
// logged in and answer. The terminal shows the floor, refreshed every 2 s; the supervisor page
// shows the same live. Ctrl-C stops everything and removes the demo's database and Redis keys.
//
//   npm run demo                      # admin on 127.0.0.1:8087 (any free port when taken)
//   npm run demo -- --port 0 --seed 7 # any free port; the same callers as another run with seed 7
import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServices } from './services.js';
import { startDemo, type RunningDemo } from './start-demo.js';
import { renderFloor } from './floor.js';
import type { CallerKind } from './callers.js';

const USAGE = `usage: npm run demo [-- --port <admin port, 0 = any free> --seed <number>]`;
const REFRESH_MS = 2_000;
const KIND_NAMES: Record<CallerKind, string> = { callback: 'asked for a callback', 'new-number': 'gave another number', waits: 'waited', 'hangs-up': 'hung up early' };

let args;
try {
  args = parseArgs({ options: { port: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const adminPort = args.port === undefined ? undefined : Number(args.port);
const seed = args.seed === undefined ? undefined : Number(args.seed);
if ((adminPort !== undefined && !(Number.isInteger(adminPort) && adminPort >= 0 && adminPort < 65536)) || (seed !== undefined && !Number.isInteger(seed))) {
  console.error(USAGE);
  process.exit(2);
}

let demo: RunningDemo | undefined;
let stopRequested = false;
let refresh: NodeJS.Timeout | undefined;
const tty = process.stdout.isTTY === true;

// Ctrl-C while starting waits for the start to finish, then stops (startDemo cleans up after
// itself only when it fails). A second Ctrl-C exits at once and says what is left behind.
const onSignal = (signal: NodeJS.Signals): void => {
  if (stopRequested) {
    console.error(`${signal} again: exiting without cleaning up${demo ? ` (database ${demo.databaseName}, Redis keys ${demo.bullmqPrefix}:*)` : ''}`);
    process.exit(1);
  }
  stopRequested = true;
  if (demo) void stop(demo);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  await ensureServices();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
if (stopRequested) process.exit(0);
console.log('starting the FreeSWITCH simulator, the controller, the worker and the admin service…');
try {
  demo = await startDemo({ adminPort, seed, logFile: join(tmpdir(), `qcb-demo-${process.pid}.log`) });
} catch (err) {
  console.error(`the demo did not start: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
}
if (stopRequested) {
  await stop(demo);
} else {
  const started = Date.now();
  const running = demo;
  let drawing = false;
  let lastPlain = 0;
  const draw = async (): Promise<void> => {
    if (drawing) return;
    drawing = true;
    try {
      const text = [...header(running, started), '', ...renderFloor(await running.floor())].join('\n');
      if (stopRequested) return;
      if (tty) process.stdout.write(`\x1b[H\x1b[2J${text}\n`);
      // Piped (a log, CI): a block every 10 s instead of a redraw every 2.
      else if (Date.now() - lastPlain >= 10_000) {
        lastPlain = Date.now();
        process.stdout.write(`${text}\n\n`);
      }
    } catch (err) {
      if (!stopRequested) console.error(`summary: ${(err as Error).message}`);
    } finally {
      drawing = false;
    }
  };
  await draw();
  refresh = setInterval(() => void draw(), REFRESH_MS);
}

async function stop(d: RunningDemo): Promise<void> {
  clearInterval(refresh);
  console.log(`\nstopping: hanging up the calls, stopping the daemons, dropping database ${d.databaseName}, deleting Redis keys ${d.bullmqPrefix}:*…`);
  try {
    await d.stop();
    console.log(`done; nothing left behind${d.logFile ? ` but the daemons' log, ${d.logFile}` : ''}.`);
    process.exit(0);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}

function header(d: RunningDemo, started: number): string[] {
  const c = d.callers;
  const kinds = (Object.keys(KIND_NAMES) as CallerKind[]).map((k) => `${c.byKind[k]} ${KIND_NAMES[k]}`).join(', ');
  const up = Math.round((Date.now() - started) / 1000);
  const p = d.problems;
  return [
    `qcb demo: the real controller, worker and admin service on the FreeSWITCH simulator (up ${Math.floor(up / 60)}:${String(up % 60).padStart(2, '0')})`,
    `supervisor page  ${d.adminUrl}   ${d.adminToken === undefined ? '(no token: the admin service listens on 127.0.0.1 only)' : `token: ${d.adminToken}`}`,
    `API              curl ${d.adminUrl}api/v1/floor   ·   metrics ${d.adminUrl}metrics`,
    `callers          ${c.placed} so far (${kinds}); ${c.onLine} on the line`,
    `database ${d.databaseName}  ·  Redis prefix ${d.bullmqPrefix}  ·  log ${d.logFile ?? '-'} (${p.warn} warnings, ${p.error} errors)`,
    ...(p.errors.length > 0 ? [`last error: ${p.errors[p.errors.length - 1]!.slice(0, 200)}`] : []),
    'Ctrl-C stops everything and removes the database and the Redis keys.',
  ];
}
