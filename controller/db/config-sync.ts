// Writes the declarative queue/agent configuration into Postgres, so reports can join on it
// and dispatch can read tiers with row locks (docs/design.md §4). Runtime columns (agent status,
// state, counters) are never touched: a controller restart must not log agents out.
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config/types.js';
import type { Database } from './types.js';
import { json } from './json.js';

/** Advisory lock key of the config sync ("qcbsync"). */
const CONFIG_SYNC_LOCK = 0x7163627379_6e63n.toString();

/** Upserts every configured queue, agent and tier; marks the ones no longer configured inactive. */
export async function syncConfig(db: Kysely<Database>, config: Config): Promise<void> {
  await db.transaction().execute(async (tx) => {
    // One sync at a time: a controller and a worker starting together on a fresh database both
    // insert the same queues, and the second insert of a queue then trips the unique index on
    // the extension (not the id the upsert names) — seen starting both at once.
    await sql`select pg_advisory_xact_lock(${CONFIG_SYNC_LOCK}::bigint)`.execute(tx);
    for (const q of config.queues) {
      const cb = q.callback;
      const row = {
        extension: q.extension,
        display_name: q.displayName,
        language: q.language,
        strategy: q.strategy,
        greeting: q.greeting,
        hold_music: q.holdMusic,
        agent_ring_timeout_seconds: q.agentRingTimeoutSeconds,
        wrap_up_seconds: q.wrapUpSeconds,
        max_wait_seconds: q.maxWaitSeconds,
        overflow: q.overflow ? json(q.overflow) : null,
        callback_mode: cb.mode,
        offer_after_seconds: cb.offerAfterSeconds,
        offer_key: cb.offerKey,
        read_back: cb.readBack,
        retry_attempts: cb.retry.attempts,
        retry_delays_seconds: [...cb.retry.delaysSeconds],
        expiry_minutes: cb.expiryMinutes,
        callback_caller_id_number: cb.callerIdNumber,
        callback_caller_id_name: cb.callerIdName,
        dial_template: cb.dialTemplate,
        number_rules: json(cb.numberRules),
        settings: json({ announce: q.announce, prompts: q.prompts, callback: { offerPrompt: cb.offerPrompt, reofferAfterCancel: cb.reofferAfterCancel }, hours: q.hours }),
        active: true,
      };
      await tx.insertInto('queues').values({ id: q.name, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
    }
    const queueNames = config.queues.map((q) => q.name);
    await tx.updateTable('queues').set({ active: false })
      .where('id', 'not in', queueNames.length ? queueNames : ['']).execute();

    for (const a of config.agents) {
      const row = {
        name: a.name,
        contact: a.contact,
        wrap_up_seconds: a.wrapUpSeconds,
        ring_timeout_seconds: a.ringTimeoutSeconds,
        max_no_answer: a.maxNoAnswer,
        busy_delay_seconds: a.busyDelaySeconds,
        reject_delay_seconds: a.rejectDelaySeconds,
        no_answer_delay_seconds: a.noAnswerDelaySeconds,
        active: true,
      };
      await tx.insertInto('agents').values({ id: a.id, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
      const tierQueues = a.tiers.map((t) => t.queue);
      await tx.deleteFrom('queue_agents').where('agent_id', '=', a.id)
        .where('queue_id', 'not in', tierQueues.length ? tierQueues : ['']).execute();
      for (const t of a.tiers) {
        await tx.insertInto('queue_agents').values({ queue_id: t.queue, agent_id: a.id, level: t.level, position: t.position })
          .onConflict((oc) => oc.columns(['queue_id', 'agent_id']).doUpdateSet({ level: t.level, position: t.position })).execute();
      }
    }
    const agentIds = config.agents.map((a) => a.id);
    await tx.updateTable('agents').set({ active: false })
      .where('id', 'not in', agentIds.length ? agentIds : ['']).execute();
  });
}
