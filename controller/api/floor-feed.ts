// The live floor for the supervisor page: one reader for all open pages. While at least one
// page listens, the floor (queues, entries, agents) is read twice a second and sent as a
// server-sent event when it changed — one query per tick whatever the number of pages, and
// nothing at all when nobody watches. Polling rather than LISTEN: the floor changes through many
// tables and processes (controller, worker, this service), and a half-second read of three
// indexed queries is cheaper than keeping every writer's NOTIFYs complete.
import type { ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.js';

export interface FloorFeedOptions {
  read: () => Promise<{ at: Date } & Record<string, unknown>>;
  log: Logger;
  everyMs?: number;
  keepAliveMs?: number;
}

export class FloorFeed {
  readonly #o: Required<FloorFeedOptions>;
  readonly #clients = new Set<ServerResponse>();
  #timer: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #last: string | undefined;
  #lastEvent: string | undefined;
  #reading = false;
  #failing = false;

  constructor(o: FloorFeedOptions) {
    this.#o = { everyMs: 500, keepAliveMs: 15_000, ...o };
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Streams to `res` until it closes; the current floor comes first. */
  add(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive',
      'x-content-type-options': 'nosniff', 'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.#clients.add(res);
    res.on('close', () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0) this.#stop();
    });
    this.#start();
    // A fresh read for the newcomer alone: the last broadcast may be minutes old when nothing
    // changed since, and the page sets its clock by the snapshot's `at`.
    void this.#o.read().then((floor) => {
      if (this.#clients.has(res)) res.write(`event: floor\ndata: ${JSON.stringify(floor)}\n\n`);
    }, (err: unknown) => {
      this.#o.log.warn('supervisor feed: could not read the floor for a new page', { err });
      if (this.#lastEvent !== undefined && this.#clients.has(res)) res.write(this.#lastEvent);
    });
  }

  close(): void {
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    this.#stop();
  }

  #start(): void {
    this.#timer ??= setInterval(() => void this.#tick(false), this.#o.everyMs);
    this.#keepAlive ??= setInterval(() => { for (const c of this.#clients) c.write(': keep-alive\n\n'); }, this.#o.keepAliveMs);
  }

  #stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#keepAlive);
    this.#timer = this.#keepAlive = undefined;
    this.#last = this.#lastEvent = undefined;
  }

  async #tick(force: boolean): Promise<void> {
    if (this.#reading || this.#clients.size === 0) return;
    this.#reading = true;
    try {
      const floor = await this.#o.read();
      const { at: _at, ...rest } = floor;
      const body = JSON.stringify(rest);
      if (this.#failing) this.#o.log.info('supervisor feed: reading the floor works again');
      this.#failing = false;
      if (body === this.#last && !force) return;
      this.#last = body;
      this.#lastEvent = `event: floor\ndata: ${JSON.stringify(floor)}\n\n`;
      for (const c of this.#clients) c.write(this.#lastEvent);
    } catch (err) {
      // Once per outage, not twice a second.
      if (!this.#failing) this.#o.log.warn('supervisor feed: could not read the floor', { err });
      this.#failing = true;
    } finally {
      this.#reading = false;
    }
  }
}
