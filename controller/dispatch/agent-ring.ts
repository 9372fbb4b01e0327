// Rings the agent leg(s) of an attempt with one `bgapi originate … &park()`: one agent, or
// all of them at once for ring-all (`[origination_uuid=X1]a,[origination_uuid=X2]b`, d04c).
//
// Facts relied on (docs/design.md §6):
// - the job answers `+OK <uuid of the leg that answered>`; the losers are hung up LOSE_RACE
//   before it (d04a); if nobody answers, `-ERR <cause of the first leg in dial order>` (d04c);
// - per-leg origination_uuid is honoured (d04c), but a uuid that is live already is NOT an
//   error: the new leg gets a random uuid (d08). So every leg uuid is checked with
//   uuid_exists first, and the winner is taken from `+OK` (mapped back through the
//   origination_uuid variable, which keeps the requested value, d08);
// - killing a ringing leg makes it fail with the kill's cause; the other legs go on ringing,
//   and the job ends when the last leg is gone (d02, d04c): cancelling kills every leg.
import type { EslInboundClient } from '../esl/inbound-client.js';
import { originateCommand } from '../esl/dial-string.js';
import type { VarValue } from '../esl/channel-vars.js';
import type { OfferedAgent } from './types.js';
import { api, assertUuid, killChannel, killWhilePending, uuidExists } from './channel-watch.js';
import { ORIGINATE_TIMEOUT, parseOriginateResult } from './outcomes.js';
import { EslTimeoutError } from '../esl/errors/esl-timeout-error.js';
import { sessionsFor } from './originate-pacer.js';

/** Margin on top of the ring time for the job's answer (FreeSWITCH's own timeout may run up to ~1 s late or early, a05/d04b). */
const JOB_MARGIN_MS = 15_000;

export interface RingOptions {
  /** Already sanitised (caller-id.ts) or from validated config; checked again by ChannelVars. */
  readonly callerIdName: string | null;
  readonly callerIdNumber: string | null;
  /** Tags the legs (`qcb_attempt`) so ops can tell our legs apart in `show channels`. */
  readonly attemptId: string;
  /** Waits for room in the node's originate budget (originate-pacer.ts) before the legs are sent. */
  readonly pace?: (sessions: number) => Promise<void>;
  /** The originate has just been handed to the connection (dispatch latency ends here: worker-metrics.ts). */
  readonly onSent?: () => void;
}

export type RingResult =
  | { readonly answered: true; readonly agent: OfferedAgent; readonly legUuid: string }
  | { readonly answered: false; readonly cause: string };

/** The originate text for these legs (exported for tests). */
export function agentOriginateCommand(agents: readonly OfferedAgent[], o: RingOptions): string {
  const timeouts = agents.map((a) => a.ringTimeoutSeconds);
  const longest = Math.max(...timeouts);
  const sameTimeout = timeouts.every((t) => t === longest);
  const globalVars: Record<string, VarValue | null> = {
    originate_timeout: longest,
    // Ringing, not early media, is what we wait for (d01/d04: CHANNEL_PROGRESS only).
    ignore_early_media: true,
    origination_caller_id_name: o.callerIdName,
    origination_caller_id_number: o.callerIdNumber,
    qcb_attempt: o.attemptId,
  };
  return originateCommand({
    dial: {
      mode: 'simultaneous',
      globalVars,
      legs: agents.map((a) => ({
        endpoint: a.contact,
        // leg_timeout (ALLOTTED_TIMEOUT, b09) only when ring-all agents have their own timeouts.
        vars: sameTimeout ? { origination_uuid: assertUuid(a.legUuid) } : { origination_uuid: assertUuid(a.legUuid), leg_timeout: a.ringTimeoutSeconds },
      })),
    },
    app: { name: 'park' },
  });
}

/** The agents' leg uuids that already exist on the switch (AgentRing.existingLegs, before a ring is set up). */
export async function existingAgentLegs(client: EslInboundClient, agents: readonly OfferedAgent[]): Promise<string[]> {
  const found = await Promise.all(agents.map(async (a) => ((await uuidExists(client, a.legUuid)) ? a.legUuid : null)));
  return found.filter((u): u is string => u !== null);
}

/** One ring of the offered agents. */
export class AgentRing {
  readonly #client: EslInboundClient;
  readonly #agents: readonly OfferedAgent[];
  readonly #opts: RingOptions;
  #cancelled = false;
  #started = false;
  #job: Promise<string> | undefined;

  constructor(client: EslInboundClient, agents: readonly OfferedAgent[], options: RingOptions) {
    if (agents.length === 0) throw new Error('no agent to ring');
    this.#client = client;
    this.#agents = agents;
    this.#opts = options;
  }

  /** True once cancel() was called. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Leg uuids that already exist on the switch (a re-run or a second worker got there first). */
  existingLegs(): Promise<string[]> {
    return existingAgentLegs(this.#client, this.#agents);
  }

  /**
   * Sends the originate (after the pacer's go) and resolves with the answering leg or the
   * failure cause; an originate FreeSWITCH never reports on within the ring time and a margin
   * is ORIGINATE_TIMEOUT, its legs hung up. Rejects with an ESL error when FreeSWITCH cannot be
   * asked (the connection is lost; the legs may then exist: a re-run or another worker carries
   * them on, see adopt-attempt.ts).
   */
  async ring(): Promise<RingResult> {
    if (this.#started) throw new Error('AgentRing.ring() called twice');
    this.#started = true;
    // Cancelled before anything was sent (the caller left in between): ring nobody.
    if (this.#cancelled) return { answered: false, cause: 'ORIGINATOR_CANCEL' };
    const deadline = Math.max(...this.#agents.map((a) => a.ringTimeoutSeconds)) * 1000 + JOB_MARGIN_MS;
    const command = agentOriginateCommand(this.#agents, this.#opts);
    await this.#opts.pace?.(sessionsFor(this.#agents.map((a) => a.contact)));
    // Cancelled while it waited for room (the caller left): ring nobody.
    if (this.#cancelled) return { answered: false, cause: 'ORIGINATOR_CANCEL' };
    this.#job = this.#client.bgapi(command, { timeoutMs: deadline });
    this.#opts.onSent?.();
    let body: string;
    try {
      body = await this.#job;
    } catch (err) {
      if (!(err instanceof EslTimeoutError)) throw err;
      // The switch never reported on the originate, though our connection is up: a loopback
      // leg whose second half it refused (mod_loopback "Failure.", 1.10.12) stays in CS_INIT
      // and its originate never answers. Hang up whatever it made; nobody rang.
      await Promise.all(this.#agents.map((a) => killChannel(this.#client, a.legUuid, 'ORIGINATOR_CANCEL').catch(() => false)));
      return { answered: false, cause: ORIGINATE_TIMEOUT };
    }
    const r = parseOriginateResult(body);
    if (!r.ok) return { answered: false, cause: r.cause };
    const agent = await this.#agentOf(r.uuid);
    if (!agent) {
      // Not one of ours: should not happen after the uuid_exists check. Hang it up rather than guess.
      await killChannel(this.#client, r.uuid, 'NORMAL_CLEARING').catch(() => undefined);
      return { answered: false, cause: 'UNKNOWN' };
    }
    return { answered: true, agent, legUuid: r.uuid };
  }

  async #agentOf(uuid: string): Promise<OfferedAgent | undefined> {
    const direct = this.#agents.find((a) => a.legUuid === uuid);
    if (direct) return direct;
    // d08: a leg that got a random uuid still says which one was asked for.
    const asked = (await api(this.#client, `uuid_getvar ${assertUuid(uuid)} origination_uuid`).catch(() => '')).trim();
    const byVar = this.#agents.find((a) => a.legUuid === asked);
    return byVar ?? (this.#agents.length === 1 ? this.#agents[0] : undefined);
  }

  /**
   * Stops the ring: every leg is killed with `cause` (d02/d04c: one kill per leg; the job then
   * reports a cause, which the caller ignores because it cancelled). Errors are swallowed:
   * a leg already gone is what we want. Before ring() it only makes ring() send nothing.
   */
  async cancel(cause = 'ORIGINATOR_CANCEL'): Promise<void> {
    this.#cancelled = true;
    const job = this.#job;
    if (!job) {
      await Promise.all(this.#agents.map((a) => killChannel(this.#client, a.legUuid, cause).catch(() => false)));
      return;
    }
    // The originate may not have created every leg yet: keep trying while its job runs.
    await Promise.all(this.#agents.map((a) => killWhilePending(this.#client, a.legUuid, cause, job)));
  }
}
