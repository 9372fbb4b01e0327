// What an originate's BACKGROUND_JOB says, and what it means for the attempt. Pure.
import type { AttemptOutcome } from './types.js';

/**
 * The body of an originate job: `+OK <uuid>\n` (the uuid of the leg that answered: the
 * ring-all winner, d04a; a random one when the requested origination_uuid was live, d08) or
 * `-ERR <CAUSE>\n` (for ring-all the cause of the first leg in dial-string order, d04c).
 */
export type OriginateResult = { readonly ok: true; readonly uuid: string } | { readonly ok: false; readonly cause: string };

export function parseOriginateResult(body: string): OriginateResult {
  const text = body.trim();
  const ok = /^\+OK\s+([A-Za-z0-9-]+)$/.exec(text);
  if (ok) return { ok: true, uuid: ok[1]! };
  const err = /^-ERR\s+([A-Z_]+)$/.exec(text);
  if (err) return { ok: false, cause: err[1]! };
  // `-USAGE…`, `-ERR Invalid …`, anything unexpected: a failure we cannot attribute.
  return { ok: false, cause: 'UNKNOWN' };
}

/** Causes meaning "rang, nobody picked up" (NO_ANSWER: originate_timeout, a05/d04b; ALLOTTED_TIMEOUT: leg_timeout, b09; NO_USER_RESPONSE: SIP 408). */
const NO_ANSWER = new Set(['NO_ANSWER', 'ALLOTTED_TIMEOUT', 'NO_USER_RESPONSE']);

/**
 * The switch refused to create the leg: switch_core_session_request finds its sessions-per-second
 * budget spent ("Throttle Error!") or max-sessions reached, and the endpoint (mod_sofia
 * sofia_outgoing_channel, mod_loopback) answers DESTINATION_OUT_OF_ORDER within milliseconds —
 * seen on 1.10.12 with 30 agents logging in together. Nobody rang (issue 8d).
 */
export const SWITCH_REFUSED = new Set(['DESTINATION_OUT_OF_ORDER', 'ORIGINATE_TIMEOUT']);

/**
 * Our cause for an originate FreeSWITCH never reported on within its ring time and a margin,
 * its connection up (a loopback leg half refused by the throttle: the -a channel stays in
 * CS_INIT, no BACKGROUND_JOB ever comes — 1.10.12). Also the switch's doing.
 */
export const ORIGINATE_TIMEOUT = 'ORIGINATE_TIMEOUT';

/**
 * An agent leg that did not answer. `weCancelled`: we killed the legs because the caller hung
 * up (d02: the job then reports our kill cause, ORIGINATOR_CANCEL — whatever it says, the
 * reason is the caller).
 */
export function agentFailureOutcome(cause: string, weCancelled: boolean): AttemptOutcome {
  if (weCancelled) return 'caller_gone';
  if (SWITCH_REFUSED.has(cause)) return 'switch_refused';
  if (NO_ANSWER.has(cause)) return 'agent_no_answer';
  if (cause === 'USER_BUSY') return 'agent_busy';
  if (cause === 'CALL_REJECTED') return 'agent_rejected';
  return 'agent_failed';
}

/** A customer leg that did not answer (d03b: USER_BUSY; d03c: NO_ANSWER). */
export function customerFailureOutcome(cause: string): AttemptOutcome {
  if (SWITCH_REFUSED.has(cause)) return 'switch_refused';
  if (cause === 'USER_BUSY') return 'customer_busy';
  if (NO_ANSWER.has(cause)) return 'customer_no_answer';
  return 'customer_failed';
}
