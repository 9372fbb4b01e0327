// Feature codes on an agent's phone (*50 log in, *51 log out, *52 break, *53 back; the codes are
// the dialplan's, freeswitch/README.md "Agent feature codes"): the pure part. Which action the
// dialplan asked for, which agent the phone belongs to, whether a PIN matches, and what the
// agent hears afterwards. The session that runs it is agent-code-session.ts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AgentConfig } from '../config/types.js';
import type { AgentAction } from '../service/agent-ops.js';
import type { AgentStatus } from '../db/types.js';

/** The channel variable the dialplan sets on a feature-code call (freeswitch/dialplan/queue_callback.xml). */
export const AGENT_CODE_VARIABLE = 'qcb_agent_code';

const ACTIONS: readonly AgentAction[] = ['login', 'logout', 'pause', 'resume'];

/** What the dialplan's variable says: an action, a value we do not know, or no feature code at all. */
export type AgentCodeRequest = { readonly action: AgentAction } | { readonly invalid: string } | null;

export function parseAgentCode(value: string | undefined): AgentCodeRequest {
  if (value === undefined || value === '') return null;
  return (ACTIONS as readonly string[]).includes(value) ? { action: value as AgentAction } : { invalid: value.slice(0, 32) };
}

/**
 * Who is calling, as FreeSWITCH tells it: `user_name` is set by mod_sofia only once the call has
 * passed digest authentication against the directory (sofia_reg.c, sofia_reg_parse_auth, which
 * also copies the user's <variables>), or by the `set_user` app; the caller ID number is what the
 * phone or the network claimed.
 */
export interface PhoneIdentity {
  readonly userName: string | null;
  readonly callerIdNumber: string | null;
}

export type Identification =
  | { readonly agent: AgentConfig; readonly by: 'directory_user' | 'caller_id' }
  | { readonly agent: null };

/**
 * The agent whose `extension` is this phone. An authenticated directory user decides alone: a
 * phone logged in as 1003 that puts 1001 in its caller ID is 1003 (a directory user may set its
 * own caller ID), so its caller ID is not looked at. Without a directory user (a trunk, a
 * loopback, another switch) the caller ID number is matched. Both are compared as plain strings
 * with the configured extensions, which are digits (fields.ts): nothing from the network is
 * parsed or put anywhere.
 */
export function identifyAgent(agents: readonly AgentConfig[], phone: PhoneIdentity): Identification {
  const withExtension = agents.filter((a) => a.extension !== null);
  if (phone.userName) {
    const agent = withExtension.find((a) => a.extension === phone.userName);
    return agent ? { agent, by: 'directory_user' } : { agent: null };
  }
  if (phone.callerIdNumber) {
    const agent = withExtension.find((a) => a.extension === phone.callerIdNumber);
    return agent ? { agent, by: 'caller_id' } : { agent: null };
  }
  return { agent: null };
}

/**
 * Compares a typed PIN with the agent's in constant time: both are hashed first, so neither
 * the time nor timingSafeEqual's length rule tells how much of the PIN was right or how long it is.
 */
export function pinMatches(typed: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(typed), digest(expected));
}

/** The outcome of a status change as the session reports it to the agent. */
export type StatusChange =
  | { readonly kind: 'changed' | 'unchanged'; readonly status: AgentStatus; readonly state: string }
  /** `logged_out`: a break or a return asked while logged out; `refused`: anything else the service refused. */
  | { readonly kind: 'refused'; readonly reason: 'logged_out' | 'refused'; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

/** What the agent hears after a code (prompt ids of prompts/manifest.json). */
export function resultPrompts(action: AgentAction, change: StatusChange): string[] {
  if (change.kind === 'failed') return ['agent-status-failed'];
  if (change.kind === 'refused') return [change.reason === 'logged_out' ? 'agent-login-first' : 'agent-status-failed'];
  // The status changes at once; a call (or wrap-up) under way runs to its end first (agent-ops.ts).
  const afterCall = change.state !== 'idle';
  switch (action) {
    case 'login':
      return [change.kind === 'changed' ? 'agent-logged-in' : 'agent-already-logged-in'];
    case 'logout':
      return change.kind === 'changed' ? ['agent-logged-out', ...(afterCall ? ['agent-after-call'] : [])] : ['agent-already-logged-out'];
    case 'pause':
      return change.kind === 'changed' ? ['agent-on-break', ...(afterCall ? ['agent-after-call'] : [])] : ['agent-already-on-break'];
    case 'resume':
      return [change.kind === 'changed' ? 'agent-back' : 'agent-not-on-break'];
  }
}
