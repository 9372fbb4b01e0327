// The controller processes, as the admin service sees them (migrations/…_admin.ts), and the
// supervisor's "drain this controller": no new callers on it, the live ones go on until they
// end (or its drain timeout passes), then it stops — what SIGTERM does, asked from the API so an
// operator does not need a shell on the host to take a node out for maintenance.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { logEvents } from '../dispatch/rows.js';
import { ServiceRefusal } from './service-refusal.js';

/** Channel the controllers LISTEN on; the payload is the id of the one asked to drain. */
export const CONTROLLER_CHANNEL = 'qcb_controller';
/** How often a running controller refreshes seen_at. */
export const CONTROLLER_HEARTBEAT_SECONDS = 5;
/** A controller not seen for this long is shown as gone (crashed or cut off). */
export const CONTROLLER_GONE_SECONDS = 3 * CONTROLLER_HEARTBEAT_SECONDS;

export type ControllerState = 'running' | 'drain_requested' | 'draining' | 'stopped' | 'gone';

export interface ControllerView {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly eslListen: string;
  readonly httpListen: string;
  readonly startedAt: Date;
  readonly seenAt: Date;
  readonly state: ControllerState;
}

const VIEW = sql<ControllerState>`case
  when stopped_at is not null then 'stopped'
  when seen_at < now() - make_interval(secs => ${CONTROLLER_GONE_SECONDS}) then 'gone'
  when draining_since is not null then 'draining'
  when drain_requested_at is not null then 'drain_requested'
  else 'running' end`;

/** Controllers running now, and those that stopped or vanished in the last day. */
export async function listControllers(db: Kysely<Database>): Promise<ControllerView[]> {
  const rows = await db.selectFrom('controller_instances')
    .select(['id', 'host', 'pid', 'esl_listen', 'http_listen', 'started_at', 'seen_at', VIEW.as('state')])
    .where('seen_at', '>', sql<Date>`now() - interval '1 day'`)
    .orderBy('started_at', 'desc').limit(200).execute();
  return rows.map((r) => ({
    id: r.id, host: r.host, pid: r.pid, eslListen: r.esl_listen, httpListen: r.http_listen, startedAt: r.started_at, seenAt: r.seen_at, state: r.state,
  }));
}

/** Asks one running controller to drain. Resolves with its state after the request. */
export async function requestDrain(db: Kysely<Database>, id: string, by: string): Promise<ControllerView> {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(id)) throw new ServiceRefusal('invalid', 'id: not a controller id', { field: 'id' });
  await db.transaction().execute(async (tx) => {
    const c = await tx.selectFrom('controller_instances').select(['id', VIEW.as('state')]).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!c) throw new ServiceRefusal('not_found', `controller ${id}: no such controller`);
    if (c.state === 'stopped' || c.state === 'gone') throw new ServiceRefusal('conflict', `controller ${id}: ${c.state}`);
    if (c.state !== 'running') return; // asked already: the same answer again
    await tx.updateTable('controller_instances').set({ drain_requested_at: sql<Date>`now()` }).where('id', '=', id).execute();
    await logEvents(tx, [{ type: 'ops.controller_drain_requested', details: { controller: id, by } }]);
    await sql`select pg_notify(${CONTROLLER_CHANNEL}, ${id})`.execute(tx);
  });
  const [view] = (await listControllers(db)).filter((c) => c.id === id);
  return view!;
}
