// The FreeSWITCH side of the concurrent-callers benchmark (scale-bench.ts), in its own process
// so that the simulator's work does not share a CPU with the controller measured. It places
// calls into an outbound-socket server as FreeSWITCH's `socket host:port async full` does (one
// TCP connection per call, test/fakeswitch), presses keys for the callers and hangs them up.
// Commands come on stdin and answers go to stdout, one JSON object per line:
//   {"op":"ramp","n":5000,"rate":1000,"host":"127.0.0.1","port":8084,"destination":"8001","waitFor":"hold"|"connect"}
//     → {"op":"ramped",...}: calls placed at `rate` a second (a batch every 10 ms); with
//       waitFor "hold" a call counts once the controller started its hold music on it
//       (CHANNEL_EXECUTE playback local_stream://…), with "connect" once its socket is up
//   {"op":"keys","digit":"5","seconds":30} → {"op":"keys-done",...}: every caller presses the
//       digit once a second (a 10 ms tick presses it for a hundredth of them), for `seconds`
//   {"op":"offer","digit":"2","rate":1000,"timeoutMs":30000} → {"op":"offered",...}: every caller
//       presses the digit (`rate` callers a second); counts the callers whose channel then runs play_and_get_digits (the menu)
//   {"op":"hangup","rate":1000} → {"op":"hungup",...}: every caller hangs up, at `rate` a second
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { FakeSwitch, type SimChannel } from '../fakeswitch/index.js';

type Command =
  | { op: 'ramp'; n: number; rate: number; host: string; port: number; destination: string; waitFor: 'hold' | 'connect' }
  | { op: 'keys'; digit: string; seconds: number }
  | { op: 'offer'; digit: string; rate: number; timeoutMs: number }
  | { op: 'hangup'; rate: number };

const TICK_MS = 10;
const fs = await FakeSwitch.start({ timeScale: 1 });
const callers: SimChannel[] = [];

function send(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

function pct(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Every tick until `total` items are done, `perTick` of them (fractional rates carry over). */
async function paced(total: number, perSecond: number, each: (i: number) => void): Promise<number> {
  const t0 = performance.now();
  let done = 0;
  while (done < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * perSecond) + 1);
    for (; done < due; done++) each(done);
    if (done < total) await new Promise((r) => setTimeout(r, TICK_MS));
  }
  return performance.now() - t0;
}

/**
 * The simulator keeps every event of a channel in its history (for tests' waitForEvent); a
 * benchmark's thousands of callers pressing keys would grow it without end, so it is emptied.
 */
setInterval(() => {
  for (const ch of callers) (ch.history as Array<Map<string, string>>).length = 0;
}, 2000).unref();

async function ramp(c: Extract<Command, { op: 'ramp' }>): Promise<void> {
  const setupMs: number[] = [];
  const answerMs: number[] = [];
  let failed = 0;
  const why = new Map<string, number>();
  const ready: Array<Promise<void>> = [];
  const placeMs = await paced(c.n, c.rate, (i) => {
    const t0 = performance.now();
    const number = `05${String(i).padStart(8, '0')}`;
    ready.push(fs.placeCall({ target: { host: c.host, port: c.port }, callerIdNumber: number, callerIdName: `Caller ${i}`, destination: c.destination })
      .then(async (ch) => {
        callers.push(ch);
        if (c.waitFor === 'hold') {
          await ch.waitForEvent('CHANNEL_ANSWER', undefined, 120_000, { includePast: true });
          answerMs.push(performance.now() - t0);
          await ch.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application') === 'playback' && (h.get('Application-Data') ?? '').startsWith('local_stream://'), 120_000, { includePast: true });
        }
        setupMs.push(performance.now() - t0);
      })
      .catch((err: unknown) => {
        failed += 1;
        const m = String((err as Error).message).replace(/[0-9a-f-]{36}/g, '<uuid>');
        why.set(m, (why.get(m) ?? 0) + 1);
      }));
  });
  await Promise.all(ready);
  setupMs.sort((a, b) => a - b);
  answerMs.sort((a, b) => a - b);
  send({
    op: 'ramped', placed: c.n, ready: setupMs.length, failed, failures: Object.fromEntries(why), placeMs, achievedRate: c.n / (placeMs / 1000),
    answerP50: pct(answerMs, 50), answerP99: pct(answerMs, 99), readyP50: pct(setupMs, 50), readyP99: pct(setupMs, 99), readyMax: setupMs.at(-1) ?? null,
  });
}

async function keys(c: Extract<Command, { op: 'keys' }>): Promise<void> {
  const live = callers.filter((ch) => !ch.hungUp);
  const total = Math.round(live.length * c.seconds);
  const ms = await paced(total, live.length, (i) => live[i % live.length]!.sendDtmf(c.digit));
  send({ op: 'keys-done', pressed: total, callers: live.length, ms, perSecond: total / (ms / 1000) });
}

async function offer(c: Extract<Command, { op: 'offer' }>): Promise<void> {
  const live = callers.filter((ch) => !ch.hungUp);
  const menus: Array<Promise<unknown>> = [];
  await paced(live.length, c.rate, (i) => {
    const ch = live[i]!;
    menus.push(ch.waitForEvent('CHANNEL_EXECUTE', (h) => h.get('Application') === 'play_and_get_digits', c.timeoutMs));
    ch.sendDtmf(c.digit);
  });
  const results = await Promise.allSettled(menus);
  send({ op: 'offered', callers: live.length, menus: results.filter((r) => r.status === 'fulfilled').length });
}

async function hangup(c: Extract<Command, { op: 'hangup' }>): Promise<void> {
  const live = callers.filter((ch) => !ch.hungUp);
  const ms = await paced(live.length, c.rate, (i) => live[i]!.hangup('NORMAL_CLEARING'));
  await Promise.all(live.map((ch) => ch.ended));
  callers.length = 0;
  send({ op: 'hungup', callers: live.length, ms });
}

send({ op: 'up', inboundPort: fs.inboundPort });
const queue: Command[] = [];
let busy = false;
createInterface({ input: process.stdin }).on('line', (line) => {
  queue.push(JSON.parse(line) as Command);
  void drain();
}).on('close', () => { void fs.stop().then(() => process.exit(0)); });

async function drain(): Promise<void> {
  if (busy) return;
  busy = true;
  while (queue.length > 0) {
    const c = queue.shift()!;
    try {
      if (c.op === 'ramp') await ramp(c);
      else if (c.op === 'keys') await keys(c);
      else if (c.op === 'offer') await offer(c);
      else await hangup(c);
    } catch (err) {
      send({ op: 'error', message: (err as Error).message });
    }
  }
  busy = false;
}
