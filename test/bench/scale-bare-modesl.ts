// The comparison of the concurrent-callers benchmark (scale-bench.ts): modesl 1.2.1 as
// published (the `modesl-upstream` alias, unpatched) holding bare outbound sessions — its own
// Server with `myevents`, a DTMF listener per connection and nothing else (no answer, no
// database, no timers). Prints {"port":N} once listening; scale-probe.mjs reports on SIGUSR2.
import { createRequire } from 'node:module';

interface UpstreamConn {
  on(ev: string, fn: (...a: unknown[]) => void): void;
}
interface UpstreamServer {
  port: number;
  on(ev: string, fn: (conn: UpstreamConn, id: string) => void): void;
}
const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const upstream = require('modesl-upstream') as { Server: new (o: Record<string, unknown>, ready: () => void) => UpstreamServer };

let open = 0;
let dtmf = 0;
(globalThis as { __scaleStats?: () => Record<string, number> }).__scaleStats = () => ({ sessions: open, dtmf });

const server = await new Promise<UpstreamServer>((resolve) => {
  // modesl takes `port || 8022`: the caller picks a free port and passes it
  const s: UpstreamServer = new upstream.Server({ host: '127.0.0.1', port: Number(process.argv[2]), myevents: true }, () => resolve(s));
});
server.on('connection::ready', (conn) => {
  open += 1;
  conn.on('error', () => undefined);
  conn.on('esl::event::DTMF::*', () => { dtmf += 1; });
  conn.on('esl::end', () => { open -= 1; });
});
process.stdout.write(`${JSON.stringify({ message: 'bare modesl listening', port: server.port })}\n`);
