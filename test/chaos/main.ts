// `npm run chaos -- [--seed N] [--runs 3] [--duration 60] [--faults worker-kill,redis-flush]
// [--worker qcb|test-process] [--switch sim|real]`:
// the chaos suite (issue 11 item 3). Each run starts private Postgres and Redis, the controller
// and the worker as processes and the FreeSWITCH simulator, runs callers and agents while
// faults hit at random points (seeded), lets everything drain, and prints what the auditor
// counted (chaos-auditor.ts). `--switch real`: the same on a real FreeSWITCH (the real-switch
// lab, one for all runs; realswitch-run.ts), `qcb run worker` only. Run k uses seed N + k - 1. Exit status 1 when any count of any
// run is not zero (or a run never served a caller again after its last fault).
import { parseArgs } from 'node:util';
import { runChaos, formatRun, passed, type ChaosOptions, type ChaosRunResult } from './chaos-run.js';
import { runRealChaos } from './realswitch-run.js';
import { acquireLab, LAB_ENV_VAR, type LabHandle } from '../realswitch/lab/lab-env.js';
import { FAULT_KINDS, type FaultKind } from './fault-injectors.js';

// Ctrl-C or a kill: exit through process.exit, so the 'exit' handlers stop the private
// Postgres and Redis and the daemons (private-services.ts, daemons.ts).
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    runs: { type: 'string', default: '1' },
    duration: { type: 'string', default: '60' },
    faults: { type: 'string' },
    switch: { type: 'string', default: 'sim' },
    worker: { type: 'string', default: 'qcb' },
  },
});
if (values.switch !== 'sim' && values.switch !== 'real') {
  console.error(`--switch ${values.switch}: sim (the FreeSWITCH simulator) or real (FreeSWITCH at FS_PREFIX, default /opt/fs)`);
  process.exit(2);
}
if (values.switch === 'real' && values.worker !== 'qcb') {
  console.error('--switch real runs `qcb run worker` only');
  process.exit(2);
}
if (values.worker !== 'qcb' && values.worker !== 'test-process') {
  console.error(`--worker ${values.worker}: qcb (\`qcb run worker\`) or test-process (short BullMQ locks)`);
  process.exit(2);
}
const worker = values.worker;
const seed = values.seed === undefined ? Math.floor(Math.random() * 1e9) : Number(values.seed);
const runs = Number(values.runs);
const durationS = Number(values.duration);
const kinds = values.faults?.split(',').map((k) => k.trim()) as FaultKind[] | undefined;
for (const k of kinds ?? []) {
  if (!FAULT_KINDS.includes(k)) {
    console.error(`unknown fault ${k}; known: ${FAULT_KINDS.join(', ')}`);
    process.exit(2);
  }
}
if (!Number.isInteger(seed) || !(runs >= 1) || !(durationS >= 15)) {
  console.error('usage: npm run chaos -- [--seed N] [--runs R] [--duration S (>= 15)] [--faults kind,...]');
  process.exit(2);
}

let lab: LabHandle | undefined;
let labPid: number | undefined;
if (values.switch === 'real') {
  lab = await acquireLab();
  if (!lab.ok) {
    console.error(`--switch real: no FreeSWITCH: ${lab.reason}`);
    process.exit(2);
  }
  // Ctrl-C or a kill exits through process.exit: a FreeSWITCH we started must not outlive us
  // (the next lab would find port 8021 taken). A lab handed to us (QCB_FS_LAB) is not ours.
  labPid = lab.ok && !process.env[LAB_ENV_VAR] ? lab.env.pid : undefined;
  process.once('exit', () => {
    if (labPid === undefined) return;
    try {
      process.kill(labPid, 'SIGKILL');
    } catch { /* already gone */ }
  });
}
console.log(`chaos: ${runs} run(s) of ${durationS} s, seed ${seed}, switch ${values.switch}, worker ${worker}${kinds ? `, faults ${kinds.join(',')}` : ''}`);
const results: ChaosRunResult[] = [];
try {
  for (let k = 0; k < runs; k++) {
    const runSeed = seed + k;
    console.log(`\nrun ${k + 1}/${runs} (seed ${runSeed})`);
    const o: ChaosOptions = { seed: runSeed, durationS, kinds, worker, log: (l) => console.log(l) };
    const r = lab?.ok ? await runRealChaos(lab.env, o) : await runChaos(o);
    results.push(r);
    console.log(formatRun(r));
  }
} finally {
  if (lab?.ok) await lab.release();
  labPid = undefined;
}
const secs = (s: number | null): string => (s === null ? 'never' : s.toFixed(1));
console.log('\nsummary');
console.log('  seed        faults  lost  twice  stuck-agents  no-caller-legs  stuck-entries  queued-twice  crashes  recover-s  worst-s  result');
for (const r of results) {
  const c = r.audit.counts;
  console.log(`  ${String(r.seed).padEnd(10)}  ${String(r.faults.length).padStart(6)}  ${String(c.confirmedCallbacksLost).padStart(4)}  ${String(c.customersDialledTwice).padStart(5)}  ${String(c.agentsStuckReserved).padStart(12)}  ${String(c.agentLegsWithNoCaller).padStart(14)}  ${String(c.entriesStuck).padStart(13)}  ${String(c.callersQueuedTwice).padStart(12)}  ${String(r.unplannedExits.length).padStart(7)}  ${secs(r.audit.recoverSeconds).padStart(9)}  ${secs(r.audit.worstRecoverSeconds).padStart(7)}  ${passed(r) ? 'PASS' : 'FAIL'}`);
}
// The daemons' pipes and the simulator's timers are closed; exit with the verdict.
process.exit(results.every(passed) ? 0 : 1);
