// A running controller's row in controller_instances (migrations/…_admin.ts): written at start,
// refreshed every few seconds, and the LISTEN through which the admin service asks it to drain
// (service/controllers.ts). Losing the database for a while only makes the row look `gone` to
// the admin service; the controller goes on serving its callers.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type postgres from 'postgres';
import type { Database } from '../db/types.js';
import type { Logger } from '../log/logger.js';
import { CONTROLLER_CHANNEL, CONTROLLER_HEARTBEAT_SECONDS } from '../service/controllers.js';

export class ControllerRegistration {
  /** host:pid:random — unique per start, readable in a list. */
  readonly id = `${hostname().slice(0, 60)}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly #db: Kysely<Database>;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #sub: { unlisten(): Promise<void> } | undefined;

  constructor(db: Kysely<Database>, log: Logger) {
    this.#db = db;
    this.#log = log;
  }

  /** Registers and listens; `onDrain` runs once when the admin service asks this controller to drain. */
  async start(pg: postgres.Sql, listen: { esl: string; http: string }, onDrain: () => void): Promise<void> {
    await this.#db.insertInto('controller_instances').values({
      id: this.id, host: hostname().slice(0, 255), pid: process.pid, esl_listen: listen.esl, http_listen: listen.http,
    }).execute();
    let asked = false;
    this.#sub = await pg.listen(CONTROLLER_CHANNEL, (payload) => {
      if (payload !== this.id || asked) return;
      asked = true;
      this.#log.info('drain requested through the admin service');
      onDrain();
    });
    this.#timer = setInterval(() => {
      this.#db.updateTable('controller_instances').set({ seen_at: sql<Date>`now()` }).where('id', '=', this.id).execute()
        .catch((err: unknown) => this.#log.warn('could not refresh this controller\'s registration', { err }));
    }, CONTROLLER_HEARTBEAT_SECONDS * 1000);
    this.#timer.unref();
  }

  /** Draining has begun (by the API or a signal): the row says so. */
  async draining(): Promise<void> {
    await this.#db.updateTable('controller_instances').set({ draining_since: sql<Date>`coalesce(draining_since, now())` })
      .where('id', '=', this.id).execute().catch((err: unknown) => this.#log.warn('could not mark this controller draining', { err }));
  }

  /** Stops the heartbeat and marks the row stopped (before the database closes). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sub?.unlisten().catch(() => undefined);
    this.#sub = undefined;
    await this.#db.updateTable('controller_instances').set({ stopped_at: sql<Date>`now()`, seen_at: sql<Date>`now()` })
      .where('id', '=', this.id).execute().catch((err: unknown) => this.#log.warn('could not mark this controller stopped', { err }));
  }
}
