// A caller on the real switch: `originate {…}loopback/<ext>/queue_callback &park()`. The -a leg
// is the caller's phone (parked: it hears what the queue plays); the -b leg runs the project's
// dialplan and is the channel the controller gets (../shared/freeswitch/README.md).
// `uuid_send_dtmf <a-leg>` presses keys (loopback hands them to the -b leg as received DTMF),
// `uuid_kill <a-leg>` hangs up.
import { randomUUID } from 'node:crypto';
import type { SwitchObserver } from './observer.js';

export interface CallerOptions {
  /** Queue extension (8000-8009). */
  readonly queue: string;
  readonly callerIdNumber?: string;
  readonly callerIdName?: string;
  /** Channel variables set on the caller's phone leg (copied onto nothing else). */
  readonly vars?: Readonly<Record<string, string>>;
  /** How long to wait for the controller to answer. */
  readonly answerTimeoutMs?: number;
  /**
   * A caller ID no originate could carry (`}` ends its variable block): it is URL-encoded into
   * variables and written into the caller profile as it is by the test parties' `hostile`
   * extension (lab/qcb_test_parties.xml), which then sends the call to the queue.
   */
  readonly rawCallerId?: { readonly name: string; readonly number: string };
}

/**
 * A value in originate's `{…}`: a literal comma must be written `\,` or originate splits the
 * variable list there (../shared/freeswitch/README.md); `}` would end the block, so it is refused.
 */
export function originateValue(v: string): string {
  if (/[}\n\r]/.test(v)) throw new Error(`cannot pass ${JSON.stringify(v)} in an originate variable`);
  return v.replaceAll(',', '\\,');
}

export class Caller {
  /** The caller's phone: the loopback -a leg we originated. */
  readonly phone: string;
  /** The queue-side channel the controller handles (the loopback -b leg). */
  readonly leg: string;
  readonly #o: SwitchObserver;

  private constructor(o: SwitchObserver, phone: string, leg: string) {
    this.#o = o;
    this.phone = phone;
    this.leg = leg;
  }

  static async dial(o: SwitchObserver, opts: CallerOptions): Promise<Caller> {
    const phone = randomUUID();
    const vars: Record<string, string> = { origination_uuid: phone, ...opts.vars };
    if (opts.callerIdNumber !== undefined) vars.origination_caller_id_number = opts.callerIdNumber;
    if (opts.callerIdName !== undefined) vars.origination_caller_id_name = opts.callerIdName;
    let target = `loopback/${opts.queue}/queue_callback`;
    if (opts.rawCallerId) {
      vars.qcb_test_cid_name = encodeURIComponent(opts.rawCallerId.name);
      vars.qcb_test_cid_number = encodeURIComponent(opts.rawCallerId.number);
      target = `loopback/hostile-${opts.queue}/qcb_test`;
    }
    const block = Object.entries(vars).map(([k, v]) => `${k}=${originateValue(v)}`).join(',');
    const body = await o.client.bgapi(`originate {${block}}${target} &park()`, { timeoutMs: opts.answerTimeoutMs ?? 20_000 });
    if (!body.startsWith('+OK')) throw new Error(`caller into ${opts.queue} not answered: ${body.trim()}`);
    const leg = await o.api(`uuid_getvar ${phone} other_loopback_leg_uuid`);
    if (!/^[0-9a-f-]{36}$/.test(leg)) throw new Error(`no queue-side leg for ${phone}: ${leg}`);
    return new Caller(o, phone, leg);
  }

  /** Presses keys on the phone. */
  async press(digits: string): Promise<void> {
    const r = await this.#o.api(`uuid_send_dtmf ${this.phone} ${digits}`);
    if (!r.startsWith('+OK')) throw new Error(`uuid_send_dtmf: ${r}`);
  }

  /** Hangs up the phone. */
  async hangup(): Promise<void> {
    await this.#o.api(`uuid_kill ${this.phone} NORMAL_CLEARING`);
  }

  /** True while the queue-side leg exists. */
  async alive(): Promise<boolean> {
    return (await this.#o.api(`uuid_exists ${this.leg}`)) === 'true';
  }

  /** Waits until the queue-side leg starts playing a prompt whose id matches (`callback-menu`, …). */
  async hears(id: string | RegExp, timeoutMs = 30_000): Promise<void> {
    const re = typeof id === 'string' ? new RegExp(`/${id}\\.wav`) : id;
    await this.#o.waitFor(`${this.leg} to play ${String(id)}`, (e) => e.uuid === this.leg && e.name === 'CHANNEL_EXECUTE'
      && (e.h.Application === 'playback' || e.h.Application === 'play_and_get_digits') && re.test(e.h['Application-Data'] ?? ''), timeoutMs);
  }

  /** Waits until the queue-side leg is bridged (CHANNEL_BRIDGE); resolves with the other leg's uuid. */
  async bridged(timeoutMs = 30_000): Promise<string> {
    const e = await this.#o.waitFor(`${this.leg} bridged`, (x) => x.uuid === this.leg && x.name === 'CHANNEL_BRIDGE', timeoutMs);
    return e.h['Other-Leg-Unique-ID'] ?? e.h['Bridge-B-Unique-ID'] ?? '';
  }

  /** The hangup cause of the queue-side leg, once it is gone. */
  async ended(timeoutMs = 30_000): Promise<string> {
    const e = await this.#o.hangupOf(this.leg, timeoutMs);
    return e.h['Hangup-Cause'] ?? '';
  }
}
