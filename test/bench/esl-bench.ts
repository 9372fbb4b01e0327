// ESL wire benchmark: raw modesl 1.2.1 (unpatched, installed as `modesl-upstream`) against
// our adapter (patched modesl + typed client) on the same loopback peer and the same bytes.
// Run: npm run bench. Prints a table; results and method are kept in BENCHMARKS.md.
import net from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { EslInboundClient } from '../../controller/esl/inbound-client.js';
import { floodStream, BIG_BODY_BYTES } from './esl-bench-peer.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const upstream = require('modesl-upstream') as { Connection: new (...a: unknown[]) => UpstreamConn };
interface UpstreamConn {
  api(cmd: string, args: string, cb: (e: { getBody(): string }) => void): void;
  events(type: string, names: string, cb: () => void): void;
  on(ev: string, fn: (...a: unknown[]) => void): void;
  once(ev: string, fn: (...a: unknown[]) => void): void;
  removeAllListeners(ev?: string): void;
  disconnect(): void;
}

const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 300);
const EVENTS_2K = Number(process.env.BENCH_EVENTS_2K ?? 20000);
const EVENTS_16K = Number(process.env.BENCH_EVENTS_16K ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function upstreamConnect(port: number): Promise<UpstreamConn> {
  const conn = new upstream.Connection('127.0.0.1', port, 'ClueCon');
  conn.on('error', () => undefined);
  await new Promise<void>((r) => conn.once('esl::ready', () => r()));
  return conn;
}

async function ourConnect(port: number): Promise<EslInboundClient> {
  const c = new EslInboundClient({ host: '127.0.0.1', port, password: 'ClueCon', events: ['CHANNEL_EXECUTE'] });
  await c.connect();
  return c;
}

async function roundTrips(run: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 20; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p99: pct(times, 99) };
}

/** Starts the peer in a child process and resolves with its port and a stop function. */
async function startPeerProcess(): Promise<{ port: number; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./esl-bench-peer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(EVENTS_2K), String(EVENTS_16K)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return {
    port: Number(line),
    stop: async () => { child.stdin!.end(); await once(child, 'exit'); },
  };
}

/** Time for a bare socket to read the flood: the ceiling any parser is measured against. */
async function rawRead(port: number, size: number, total: number): Promise<number> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  let seen = 0;
  let greeting = true;
  const start = { t: 0 };
  const done = new Promise<number>((resolve) => {
    sock.on('data', (chunk) => {
      if (greeting) return;
      seen += chunk.length;
      if (seen >= total) resolve(performance.now() - start.t);
    });
  });
  await new Promise((r) => setTimeout(r, 20));
  greeting = false;
  sock.write('auth x\n\n');
  await new Promise((r) => setTimeout(r, 20));
  seen = 0;
  start.t = performance.now();
  sock.write(`api flood ${size}\n\n`);
  const ms = await done;
  sock.destroy();
  return ms;
}

async function upstreamFlood(port: number, size: number, count: number): Promise<number> {
  const conn = await upstreamConnect(port);
  await new Promise<void>((r) => conn.events('plain', 'CHANNEL_EXECUTE', () => r()));
  let n = 0;
  const t0 = performance.now();
  const done = new Promise<number>((resolve) => {
    conn.on('esl::event::CHANNEL_EXECUTE::*', () => { if (++n === count) resolve(performance.now() - t0); });
  });
  conn.api('flood', String(size), () => undefined);
  const ms = await done;
  conn.disconnect();
  return ms;
}

async function ourFlood(port: number, size: number, count: number): Promise<number> {
  const c = await ourConnect(port);
  let n = 0;
  const t0 = performance.now();
  const done = new Promise<number>((resolve) => {
    c.on('event', (e) => { if (e.name === 'CHANNEL_EXECUTE' && ++n === count) resolve(performance.now() - t0); });
  });
  await c.api(`flood ${size}`);
  const ms = await done;
  await c.close();
  return ms;
}

async function bigBody(run: () => Promise<number>): Promise<number> {
  const t0 = performance.now();
  const len = await run();
  const ms = performance.now() - t0;
  if (len !== BIG_BODY_BYTES) throw new Error(`32 MB body came back as ${len} bytes`);
  return ms;
}

async function main(): Promise<void> {
  const peer = await startPeerProcess();
  const rows: string[] = [];
  const row = (what: string, modesl: string, ours: string, extra = ''): void => { rows.push(`| ${what} | ${modesl} | ${ours} | ${extra} |`); };

  const up = await upstreamConnect(peer.port);
  const rtUp = await roundTrips(() => new Promise((r) => up.api('status', '', r)));
  up.disconnect();
  const our = await ourConnect(peer.port);
  const rtOur = await roundTrips(() => our.api('status'));
  await our.close();
  row(`api round trip p50 / p99 (ms, ${ROUND_TRIPS} sequential)`, `${rtUp.p50.toFixed(3)} / ${rtUp.p99.toFixed(3)}`, `${rtOur.p50.toFixed(3)} / ${rtOur.p99.toFixed(3)}`, 'target p50 < 1 ms');

  for (const [size, count] of [[2048, EVENTS_2K], [16384, EVENTS_16K]] as const) {
    const streamBytes = floodStream(size, count).length;
    // Best of ROUNDS for each side: the machine is shared, the fastest run is the one least
    // disturbed by anything else.
    const best = async (run: () => Promise<number>): Promise<number> => {
      let min = Infinity;
      for (let i = 0; i < ROUNDS; i++) min = Math.min(min, await run());
      return min;
    };
    const raw = await best(() => rawRead(peer.port, size, streamBytes));
    const upMs = await best(() => upstreamFlood(peer.port, size, count));
    const ourMs = await best(() => ourFlood(peer.port, size, count));
    const rate = (ms: number): number => Math.round(count / (ms / 1000));
    row(`${size / 1024} KB plain events/s (${count} events)`, `${rate(upMs)}`, `${rate(ourMs)}`,
      `raw socket read ${rate(raw)}/s; ours = ${(upMs / ourMs).toFixed(1)}x modesl`);
  }

  const up2 = await upstreamConnect(peer.port);
  const bigUp = await bigBody(() => new Promise((r) => up2.api('big', '', (e) => r(e.getBody().length))));
  // ours: best of ROUNDS as well (modesl's one run takes seconds; its order of magnitude is the point)
  up2.disconnect();
  const our2 = await ourConnect(peer.port);
  let bigOur = Infinity;
  for (let i = 0; i < ROUNDS; i++) bigOur = Math.min(bigOur, await bigBody(async () => (await our2.api('big', { timeoutMs: 60_000 })).length));
  await our2.close();
  row('32 MB api body (ms)', bigUp.toFixed(1), bigOur.toFixed(1), 'target < 100 ms');

  await peer.stop();
  process.stdout.write(`node ${process.version}, ${new Date().toISOString()}\n\n| measure | modesl 1.2.1 | our adapter | note |\n|---|---|---|---|\n${rows.join('\n')}\n`);
}

await main();
