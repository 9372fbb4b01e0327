// `npm run load -- --callers 120 --rate 5 --agents 20 …`: a mixed load on the real FreeSWITCH
// (test/realswitch/lab/load-run.ts), with its checks (load-checks.ts). Starts its own lab: the
// FreeSWITCH at FS_PREFIX (default /opt/fs), the stock configuration with freeswitch/ laid over
// it, our controller and worker as processes on the local Postgres and Redis. Prints the report;
// exits 1 when a check fails, 2 on bad arguments or no FreeSWITCH.
//
//   --callers N         callers (default 60)
//   --rate R            arrivals a second (default 5)
//   --agents M          agents (default 10)
//   --callback F        fraction who press 2 and confirm a callback with * (default 0.3)
//   --hangup F          fraction who hang up after a random wait (default 0.2); the rest wait
//   --act MIN-MAX       seconds on hold before pressing 2 / hanging up (default 1-10)
//   --talk S            an agent hangs up S seconds after answering (default 8; a callback's
//                       whisper takes ~4 s of it, so below ~5 the agents leave every callback)
//   --seed N            everything random (default 1)
//   --deadline S        the whole run must be over by then (default: arrivals + N×(talk+3)/M + 90 s)
//   --sps N             FreeSWITCH's sessions-per-second (default: the stock 30)
//   --pace N            the worker's originate budget, sessions a second (default: the product's 15)
//
// Each caller is a loopback call (two sessions on the switch): with the stock 30 sessions a
// second and our pacer's 15, callers can arrive at up to 7 a second (2×7 + 15 = 29).
import { parseArgs } from 'node:util';
import { findFreeswitch } from '../realswitch/lab/fs-install.js';
import { startLab } from '../realswitch/lab/lab-env.js';
import { runLoad, type LoadOptions } from '../realswitch/lab/load-run.js';
import { formatReport } from '../realswitch/lab/load-checks.js';

const { values: a } = parseArgs({
  options: {
    callers: { type: 'string', default: '60' }, rate: { type: 'string', default: '5' }, agents: { type: 'string', default: '10' },
    callback: { type: 'string', default: '0.3' }, hangup: { type: 'string', default: '0.2' }, act: { type: 'string', default: '1-10' },
    talk: { type: 'string', default: '8' }, seed: { type: 'string', default: '1' }, deadline: { type: 'string' },
    sps: { type: 'string' }, pace: { type: 'string' },
  },
});
const num = (name: string, v: string | undefined, min: number): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${name}: expected a number ≥ ${min}, got ${String(v)}`);
    process.exit(2);
  }
  return n;
};
const callers = num('callers', a.callers, 1);
const rate = num('rate', a.rate, 0.01);
const agents = num('agents', a.agents, 1);
const talk = Math.round(num('talk', a.talk, 1));
const [actLo, actHi] = (a.act ?? '').split('-').map(Number);
if (!Number.isFinite(actLo) || !Number.isFinite(actHi) || actLo! < 0 || actHi! < actLo!) {
  console.error('--act: expected MIN-MAX seconds, e.g. 1-10');
  process.exit(2);
}
const deadlineS = a.deadline !== undefined ? num('deadline', a.deadline, 1) : Math.ceil(callers / rate + (callers * (talk + 3)) / agents + 90);
const options: LoadOptions = {
  callers, rate, agents, talkSeconds: talk, seed: num('seed', a.seed, 0),
  mix: { callback: num('callback', a.callback, 0), hangup: num('hangup', a.hangup, 0) },
  actAfterMs: [actLo! * 1000, actHi! * 1000],
  deadlineMs: deadlineS * 1000,
  ...(a.pace !== undefined ? { originateSessionsPerSecond: num('pace', a.pace, 1) } : {}),
  log: (l) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${l}`),
};
if (options.mix.callback + options.mix.hangup > 1) {
  console.error('--callback + --hangup must be at most 1');
  process.exit(2);
}
const found = findFreeswitch();
if (!found.found) {
  console.error(`no FreeSWITCH: ${found.reason}`);
  process.exit(2);
}
const sps = a.sps !== undefined ? num('sps', a.sps, 1) : undefined;
const lab = await startLab(found.install, sps === undefined ? {} : { sessionsPerSecond: sps });
// Bounded in time even if something hangs where no deadline reaches: stop the switch and leave.
const watchdog = setTimeout(() => {
  console.error(`load: still running ${deadlineS + 120} s after the start: giving up`);
  void lab.stop().finally(() => process.exit(1));
}, (deadlineS + 120) * 1000);
let code = 1;
try {
  options.log!(`FreeSWITCH ${found.install.version.split('\n')[0]} at ${found.install.prefix}, sessions-per-second ${sps ?? 'stock (30)'}, deadline ${deadlineS} s`);
  const report = await runLoad(lab.env, options);
  for (const line of formatReport(report)) console.log(line);
  code = report.failures.length === 0 ? 0 : 1;
} catch (err) {
  console.error(`load: ${(err as Error).stack ?? String(err)}`);
} finally {
  clearTimeout(watchdog);
  await lab.stop();
}
process.exit(code);
