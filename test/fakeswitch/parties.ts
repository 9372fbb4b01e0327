/**
 * Scripted far ends for originate/bridge targets and for the caller of placeCall.
 * Matching uses the dial string without its `{…}` / `[…]` variable blocks (e.g. `user/1001`, `sofia/gateway/gw/0612345678`).
 */
export interface PartyScript {
  /** answer after this many ms (default: 0 for originate targets that have a script) */
  answerAfterMs?: number;
  /** reject at once with USER_BUSY (a05: `-ERR USER_BUSY` ~40 ms) */
  busy?: boolean;
  /** never answer: rings until originate_timeout → NO_ANSWER */
  noAnswer?: boolean;
  /** reject with this cause (e.g. CALL_REJECTED, SUBSCRIBER_ABSENT) */
  rejectCause?: string;
  /** hang up this many ms after answering (for placeCall: after the call starts) */
  hangupAfterMs?: number;
  /**
   * hang up this many ms after being bridged (a talk time that counts from the conversation, not
   * from the answer: an agent of a callback hears the whisper and waits for the customer first)
   */
  hangupAfterBridgeMs?: number;
  /** press digits at these times (ms after answer; for placeCall: after the call starts) */
  dtmf?: Array<{ atMs: number; digits: string }>;
}

/** Strips `{…}`, `<…>` and `[…]` variable blocks from a single dial string. */
export function bareTarget(dial: string): string {
  return dial.replace(/^\s*(\{[^}]*\}|<[^>]*>|\[[^\]]*\])*/g, '').trim();
}

export function matches(match: string | RegExp, target: string): boolean {
  return typeof match === 'string' ? match === target : match.test(target);
}
