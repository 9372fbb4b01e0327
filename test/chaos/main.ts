// `npm run chaos -- [--seed N] [--runs 3] [--duration 60] [--faults worker-kill,redis-flush]
// [--worker qcb|test-process]`:
// the chaos suite (issue 11 item 3). Each run starts private Postgres and Redis, the controller
// and the worker as processes and the FreeSWITCH simulator, runs callers and agents while
// faults hit at random points (seeded), lets everything drain, and prints what the auditor
// counted (chaos-auditor.ts). Run k uses seed N + k - 1. Exit status 1 when any count of any
// run is not zero (or a run never served a caller again after its last fault).
import { parseArgs } from 'node:util';
import { runChaos, formatRun, passed, type ChaosRunResult } from './chaos-run.js';
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
if (values.switch !== 'sim') {
  console.error(`--switch ${values.switch}: only the simulator flavour (sim) is built so far`);
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

console.log(`chaos: ${runs} run(s) of ${durationS} s, seed ${seed}, worker ${worker}${kinds ? `, faults ${kinds.join(',')}` : ''}`);
const results: ChaosRunResult[] = [];
for (let k = 0; k < runs; k++) {
  const runSeed = seed + k;
  console.log(`\nrun ${k + 1}/${runs} (seed ${runSeed})`);
  const r = await runChaos({ seed: runSeed, durationS, kinds, worker, log: (l) => console.log(l) });
  results.push(r);
  console.log(formatRun(r));
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
