// One chaos run on the real switch: the same phases, faults and auditor as on the simulator
// (chaos-run.ts runPhases, fault-injectors.ts, chaos-auditor.ts), on the lab's FreeSWITCH
// (realswitch-stack.ts, realswitch-load.ts). The stack is closed whatever happens; the lab is
// the caller's (one FreeSWITCH for several runs).
import { prng } from '../helpers/sim-watch.js';
import type { LabEnv } from '../realswitch/lab/lab-env.js';
import { runPhases, type ChaosOptions, type ChaosRunResult } from './chaos-run.js';
import { startRealChaosStack } from './realswitch-stack.js';
import { startRealLoad } from './realswitch-load.js';

export async function runRealChaos(lab: LabEnv, o: ChaosOptions): Promise<ChaosRunResult> {
  const stack = await startRealChaosStack(lab);
  try {
    const t0 = Date.now();
    const load = startRealLoad(stack, prng(o.seed));
    try {
      return await runPhases(stack, load, o, t0);
    } finally {
      load.stop();
    }
  } finally {
    await stack.close();
  }
}
