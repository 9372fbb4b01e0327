// The service layer as one object: everything the admin HTTP API and the supervisor page do,
// over one database handle and the loaded configuration. The CLI (`qcb status`, `qcb agent …`,
// `qcb callback …`, `qcb controller …`) calls the same functions; handlers hold no logic of
// their own, only the translation between HTTP and these calls.
import type { Kysely } from 'kysely';
import type { Config } from '../config/types.js';
import type { Database } from '../db/types.js';
import { changeAgentStatus, listAgents, type AgentAction } from './agent-ops.js';
import { cancelCallback, listCallbacks } from './callback-ops.js';
import { callbackHistory } from './callback-history.js';
import { requeueCallback, rescheduleCallback, type RequeuePosition } from './callback-moves.js';
import { requestCallback, type CallbackRequest } from './callback-requests.js';
import { listControllers, requestDrain } from './controllers.js';
import { listEntries } from './entries.js';
import { floorStatus } from './floor-status.js';
import { todayChart } from './today-chart.js';
import { ServiceRefusal } from './service-refusal.js';

export class AdminService {
  readonly db: Kysely<Database>;
  readonly config: Config;

  constructor(db: Kysely<Database>, config: Config) {
    this.db = db;
    this.config = config;
  }

  queues() { return floorStatus(this.db); }

  /** One queue's counts; not_found for a name that is neither configured nor in the database. */
  async queue(queueId: string) {
    const q = (await floorStatus(this.db)).find((x) => x.queueId === queueId);
    if (!q) throw new ServiceRefusal('not_found', `queue ${JSON.stringify(queueId.slice(0, 64))}: no such queue`);
    return q;
  }

  entries(opts: { queueId?: string; limit?: number } = {}) { return listEntries(this.db, opts); }
  callbacks(opts: { queueId?: string; all?: boolean } = {}) { return listCallbacks(this.db, opts); }
  callback(entryId: string) { return callbackHistory(this.db, entryId); }
  requestCallback(req: CallbackRequest) { return requestCallback(this.db, this.config, req); }
  cancelCallback(entryId: string, reason: string, by: string) { return cancelCallback(this.db, entryId, reason, by); }
  requeueCallback(entryId: string, position: RequeuePosition, by: string) { return requeueCallback(this.db, this.config, entryId, position, by); }
  rescheduleCallback(entryId: string, at: Date, by: string) { return rescheduleCallback(this.db, this.config, entryId, at, by); }

  async agents() { return listAgents(this.db); }
  async agent(agentId: string) {
    const [a] = await listAgents(this.db, agentId);
    if (!a) throw new ServiceRefusal('not_found', `agent ${JSON.stringify(agentId.slice(0, 64))}: no such agent`);
    return a;
  }
  changeAgent(agentId: string, action: AgentAction, reason: string | undefined, by: string) { return changeAgentStatus(this.db, agentId, action, reason, by); }

  controllers() { return listControllers(this.db); }
  drainController(id: string, by: string) { return requestDrain(this.db, id, by); }

  /** Queues, entries and agents read together (the supervisor page's state). */
  async floor() {
    const [queues, entries, agents] = await Promise.all([floorStatus(this.db), listEntries(this.db), listAgents(this.db)]);
    return { at: new Date(), queues, entries, agents };
  }

  today(queueId?: string) { return todayChart(this.db, this.config.admin.timeZone, queueId); }
}
