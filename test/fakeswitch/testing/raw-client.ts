/** A bare ESL peer for tests: writes raw commands, reads frames, waits for the one you want. */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { FrameParser, header, parsePlainEvent, type Frame } from './frame-parser.js';
import { percentDecode } from '../wire/url-encode.js';

export class RawEsl {
  readonly frames: Frame[] = [];
  readonly chunks: Buffer[] = [];
  readonly socket: Socket;
  readonly #parser = new FrameParser();
  #waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void; from: number }> = [];
  #cursor = 0;
  closed = false;
  readonly closedP: Promise<void>;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      for (const f of this.#parser.push(c)) {
        this.frames.push(f);
        for (const w of [...this.#waiters]) {
          if (this.frames.length - 1 >= w.from && w.pred(f)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(f);
          }
        }
      }
    });
    this.closedP = new Promise((r) => socket.on('close', () => { this.closed = true; r(); }));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawEsl> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new RawEsl(s)));
      s.once('error', reject);
    });
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Next frame (after the previous next()) matching pred. */
  async next(pred: (f: Frame) => boolean = () => true, timeoutMs = 5000): Promise<Frame> {
    for (let i = this.#cursor; i < this.frames.length; i++) {
      const f = this.frames[i]!;
      if (pred(f)) {
        this.#cursor = i + 1;
        return f;
      }
    }
    const from = this.frames.length;
    const f = await new Promise<Frame>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timeout waiting for frame')), timeoutMs);
      this.#waiters.push({ pred, from, resolve: (fr) => { clearTimeout(t); resolve(fr); } });
    });
    this.#cursor = this.frames.indexOf(f) + 1;
    return f;
  }

  /** Sends a command and returns the next command/reply or api/response. */
  async cmd(text: string): Promise<Frame> {
    this.send(text.endsWith('\n\n') ? text : `${text}\n\n`);
    return this.next((f) => ['command/reply', 'api/response'].includes(header(f, 'Content-Type') ?? ''));
  }

  /** Next event frame with this Event-Name (plain or json). */
  async event(name: string, pred: (h: Map<string, string>) => boolean = () => true, timeoutMs = 5000): Promise<Map<string, string>> {
    const f = await this.next((fr) => {
      const h = eventHeaders(fr);
      return h !== undefined && h.get('Event-Name') === name && pred(h);
    }, timeoutMs);
    return eventHeaders(f)!;
  }

  close(): void {
    this.socket.end();
  }
}

/** Decoded headers of an event frame (plain or json), or undefined for other frames. */
export function eventHeaders(f: Frame): Map<string, string> | undefined {
  const ct = header(f, 'Content-Type');
  if (ct === 'text/event-plain') {
    const ev = parsePlainEvent(f.body);
    const m = new Map<string, string>();
    for (const [k, v] of ev.headers) if (!m.has(k)) m.set(k, percentDecode(v));
    if (ev.body) m.set('_body', ev.body.toString('utf8'));
    return m;
  }
  if (ct === 'text/event-json') {
    const o = JSON.parse(f.body.toString('utf8')) as Record<string, string>;
    return new Map(Object.entries(o));
  }
  return undefined;
}

/** A throwaway outbound-socket server (what the controller would be): resolves each accepted connection. */
export class RawOutboundServer {
  readonly server: Server;
  readonly #queue: RawEsl[] = [];
  readonly #waiting: Array<(c: RawEsl) => void> = [];
  readonly #all: RawEsl[] = [];
  port = 0;

  private constructor(server: Server) {
    this.server = server;
    server.on('connection', (s) => {
      const c = new RawEsl(s);
      this.#all.push(c);
      const w = this.#waiting.shift();
      if (w) w(c);
      else this.#queue.push(c);
    });
  }

  static async start(): Promise<RawOutboundServer> {
    const srv = new RawOutboundServer(createServer());
    await new Promise<void>((r) => srv.server.listen(0, '127.0.0.1', () => r()));
    srv.server.unref(); // a test that forgets stop() must not keep the process alive
    const a = srv.server.address();
    srv.port = typeof a === 'object' && a ? a.port : 0;
    return srv;
  }

  accept(): Promise<RawEsl> {
    const c = this.#queue.shift();
    if (c) return Promise.resolve(c);
    return new Promise((r) => this.#waiting.push(r));
  }

  async stop(): Promise<void> {
    for (const c of this.#all) c.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
