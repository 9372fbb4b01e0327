// A TCP proxy between our daemons and FreeSWITCH's inbound ESL port, for the real-switch chaos
// runs' esl-drop fault: the switch cannot be told to close one client's inbound connection
// (mod_event_socket has no api for it; `fs_cli`'s `/exit` closes only its own), so the daemons'
// config names this proxy and the fault destroys every connection through it — to the daemon,
// a connection the switch ended without a word. New connections are accepted as before.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface EslProxy {
  readonly port: number;
  /** Destroys every proxied connection (both sides), now; returns how many there were. */
  dropAll(): number;
  close(): Promise<void>;
}

export async function startEslProxy(target: { host: string; port: number }): Promise<EslProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const dropAll = (): number => {
    const n = pairs.size;
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
    return n;
  };
  return {
    port,
    dropAll,
    async close() {
      dropAll();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
