// A minimal ESL inbound peer for the benchmark: greets, accepts any password, answers
// `event …` and `api …`, and on `api flood <size>` pushes a prepared byte stream of events.
// It replies only once a whole command (ending in a blank line) has arrived, as FreeSWITCH's
// mod_event_socket does, so a client that writes a command in pieces pays for it.
// Run as its own process (`tsx esl-bench-peer.ts <count2k> <count16k>`, prints its port) so
// the peer's writing does not share a CPU with the client being measured.
import net from 'node:net';

export interface BenchPeer {
  port: number;
  /** Bytes sent after the reply to `api flood <name>`. */
  setFlood(name: string, stream: Buffer): void;
  /** Body of `api big`. */
  setBig(body: Buffer): void;
  close(): Promise<void>;
}

export async function startBenchPeer(): Promise<BenchPeer> {
  const floods = new Map<string, Buffer>();
  let big: Buffer = Buffer.alloc(0);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.setNoDelay(true);
    let pending = '';
    sock.write('Content-Type: auth/request\n\n');
    sock.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\n\n')) !== -1) {
        const cmd = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const first = cmd.split('\n')[0] ?? '';
        if (first.startsWith('auth ')) reply(sock, '+OK accepted');
        else if (first.startsWith('event ')) reply(sock, '+OK event listener enabled plain');
        else if (first.startsWith('api flood ')) {
          api(sock, Buffer.from('+OK\n'));
          sock.write(floods.get(first.slice('api flood '.length)) ?? Buffer.alloc(0));
        } else if (first === 'api big') api(sock, big);
        else if (first.startsWith('api ')) api(sock, Buffer.from('UP 0 years, 0 days\n'));
        else if (first === 'exit') {
          reply(sock, '+OK bye');
          sock.end();
        } else reply(sock, '-ERR command not found');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    setFlood: (name, b) => { floods.set(name, b); },
    setBig: (b) => { big = b; },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

function reply(sock: net.Socket, text: string): void {
  sock.write(`Content-Type: command/reply\nReply-Text: ${text}\n\n`);
}

function api(sock: net.Socket, body: Buffer): void {
  // two writes, no concat: a 32 MB body is not copied by the peer before it is sent
  sock.cork();
  sock.write(`Content-Type: api/response\nContent-Length: ${body.length}\n\n`);
  sock.write(body);
  sock.uncork();
}

/**
 * A CHANNEL_EXECUTE event in text/event-plain padded with variable_* headers to about
 * `targetBytes`, encoded like FreeSWITCH (%20 etc.), as in the a03 transcript.
 */
export function plainEventOfSize(targetBytes: number, seq: number): Buffer {
  const head = [
    'Event-Name: CHANNEL_EXECUTE',
    'Core-UUID: 2f1e7c52-6a0e-4c55-9b6c-1c1d2e3f4a5b',
    'FreeSWITCH-Hostname: bench',
    'Event-Date-Local: 2026-11-26%2012%3A00%3A00',
    'Event-Date-GMT: Thu,%2026%20Nov%202026%2012%3A00%3A00%20GMT',
    `Event-Sequence: ${seq}`,
    'Unique-ID: 0d7b1a36-b3c1-4c8e-9a1e-6f0f7e1d2c3b',
    'Channel-Name: sofia/internal/2001%40127.0.0.1',
    'Caller-Caller-ID-Name: Jos%C3%A9%20Garc%C3%ADa',
    'Application: playback',
    'Application-Data: local_stream%3A//moh',
  ];
  let body = head.join('\n') + '\n';
  for (let i = 0; Buffer.byteLength(body) < targetBytes - 60; i++) {
    body += `variable_sip_h_X-Bench-${i}: value%20number%20${i}%20with%20some%20text\n`;
  }
  body += '\n';
  return Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-plain\n\n${body}`);
}

/** The flood stream: `count` events of about `size` bytes. */
export function floodStream(size: number, count: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) parts.push(plainEventOfSize(size, i));
  return Buffer.concat(parts);
}

export const BIG_BODY_BYTES = 32 * 1024 * 1024;

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [c2k, c16k] = [Number(process.argv[2] ?? 20000), Number(process.argv[3] ?? 3000)];
  const peer = await startBenchPeer();
  peer.setFlood('2048', floodStream(2048, c2k));
  peer.setFlood('16384', floodStream(16384, c16k));
  peer.setBig(Buffer.alloc(BIG_BODY_BYTES, 0x62));
  process.stdout.write(`${peer.port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => { void peer.close().then(() => process.exit(0)); });
}
