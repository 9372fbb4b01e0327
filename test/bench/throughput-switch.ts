// One FreeSWITCH node of the throughput benchmark (throughput-bench.ts): the simulator in a
// process of its own, so each node has its own event loop (as each FreeSWITCH is its own
// machine) and the CPU it takes is measured apart from the workers and the benchmark.
//
//   node --import tsx test/bench/throughput-switch.ts
//   env: SIM_TIME_SCALE (simulated durations × this), SIM_AGENTS (agents agent-0…N-1),
//        SIM_TALK_MS ("min-max": each agent's talk, simulated ms from the bridge on).
//
// Parties: agents `loopback/agent-<i>` answer at once and hang up their talk time after the
// bridge (the customer goes with them: the agent leg is the uuid_bridge originator, d01);
// customers `loopback/cust-<number>` answer at once.
// stdout: `{"message":"switch ready","port":…,"pid":…}`; then, for each `report` line read on
// stdin, one JSON line: customer legs started by number, agent legs started, channels still up.
import { createInterface } from 'node:readline';
import { FakeSwitch } from '../fakeswitch/index.js';

const timeScale = Number(process.env.SIM_TIME_SCALE ?? 0.01);
const agents = Number(process.env.SIM_AGENTS ?? 60);
const [talkMin, talkMax] = (process.env.SIM_TALK_MS ?? '0-10000').split('-').map(Number) as [number, number];

const fs = await FakeSwitch.start({ timeScale });
for (let i = 0; i < agents; i++) {
  // Spread over the range, the same for every run (a fixed stride, no random).
  const talk = talkMin + ((i * 7919) % (talkMax - talkMin + 1));
  fs.defineEndpoint(`loopback/agent-${i}`, { answerAfterMs: 0, hangupAfterBridgeMs: talk });
}
fs.defineEndpoint(/^loopback\/cust-/, { answerAfterMs: 0 });

// Every leg the switch starts asks for its party script once (api/originate.ts startLeg).
const customerLegs = new Map<string, number>();
let agentLegs = 0;
const endpointFor = fs.core.endpointFor.bind(fs.core);
fs.core.endpointFor = (target: string) => {
  const cust = /^loopback\/cust-(\d+)$/.exec(target);
  if (cust) customerLegs.set(cust[1]!, (customerLegs.get(cust[1]!) ?? 0) + 1);
  else if (target.startsWith('loopback/agent-')) agentLegs++;
  return endpointFor(target);
};

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'report') return;
  const up = fs.channels().filter((c) => !c.hungUp).length;
  process.stdout.write(`${JSON.stringify({ message: 'report', customerLegs: Object.fromEntries(customerLegs), agentLegs, up })}\n`);
});
const stop = (): void => {
  void fs.stop().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdout.write(`${JSON.stringify({ message: 'switch ready', port: fs.inboundPort, pid: process.pid })}\n`);
