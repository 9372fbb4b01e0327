// A burst of calls reaching the controller while its event loop is busy: FreeSWITCH opens one
// TCP connection per call, and the kernel must hold every one until the loop accepts it. With
// Node's default listen backlog (511) the connections past it overflowed the accept queue and
// were lost on our side while the switch's side stayed open (SYN cookies): those callers never
// got our `connect` (outbound-server.ts LISTEN_BACKLOG).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { EslOutboundServer } from '../../controller/esl/outbound-server.js';

const CALLS = 1500;

// The switch's side, in its own process (ours is blocked while the calls arrive): on `go` it
// opens CALLS connections at once and counts those on which the server's first command
// (`connect`, sent as soon as a connection is accepted) arrives within 15 s.
const SWITCH_SIDE = `
const net = require('node:net');
const [port, calls] = process.argv.slice(1).map(Number);
process.stdin.once('data', () => {
  let greeted = 0, settled = 0;
  const done = () => { if (++settled === calls) { process.stdout.write(greeted + '\\n'); process.exit(0); } };
  for (let i = 0; i < calls; i++) {
    const s = net.connect(port, '127.0.0.1');
    const t = setTimeout(() => { s.destroy(); done(); }, 15000);
    s.on('error', () => { clearTimeout(t); done(); });
    s.once('data', (d) => { if (String(d).startsWith('connect')) greeted++; clearTimeout(t); s.destroy(); done(); });
  }
});
process.stdout.write('ready\\n');
`;

test(`${CALLS} calls arriving while the controller's loop is busy all get their connect`, async () => {
  const server = new EslOutboundServer({ port: 0, handler: async () => {}, setupTimeoutMs: 30_000 });
  const { port } = await server.listen();
  const child = spawn(process.execPath, ['-e', SWITCH_SIDE, String(port), String(CALLS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, 'ready', 'the switch side starts');
    child.stdin.write('go\n');
    // Busy for 2 s, as under a burst of set-ups or a long GC: the kernel alone takes the calls.
    const until = Date.now() + 2000;
    while (Date.now() < until) { /* the loop is blocked */ }
    const greeted = Number((await lines.next()).value);
    assert.equal(greeted, CALLS, `every call got connect (${greeted} of ${CALLS})`);
  } finally {
    child.kill();
    await server.close();
  }
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
});
