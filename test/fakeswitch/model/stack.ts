/**
 * Executor: runs a channel's applications (see executor.ts for the model and the sources it follows).
 */
import { Frame, type AppContext, type PrivateMessage, type WaitOpts } from './executor.js';
import type { Channel } from './channel.js';

export class Executor {
  readonly stack: Frame[] = [];
  readonly queue: PrivateMessage[] = [];
  readonly dtmf: Array<{ digit: string; durationMs: number }> = [];
  readonly #ch: Channel;
  #pumpScheduled = false;
  #pumping = false;
  /** set by the transfer app: unwind the rest of the stack once it has completed (d05a) */
  #pendingTransfer: Array<[string, string]> | undefined;
  /** results of apps that ended while another app ran nested above them */
  readonly #pending = new Map<Frame, string | undefined>();

  constructor(ch: Channel) {
    this.#ch = ch;
  }

  get top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  /** CF_EVENT_LOCK is set while any app started with event-lock runs (switch_ivr_parse_event). */
  get locked(): boolean {
    return this.stack.some((f) => f.eventLock);
  }

  enqueue(msg: PrivateMessage): void {
    if (this.#ch.hungUp) return;
    this.queue.push(msg);
    this.schedulePump();
  }

  queueDtmf(digit: string, durationMs: number): void {
    if (this.#ch.hungUp) return;
    this.dtmf.push({ digit, durationMs });
    this.schedulePump();
  }

  schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.pump();
    });
  }

  /** Delivers queued DTMF to a reading app and runs queued messages where FreeSWITCH would. */
  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        if (this.#ch.hungUp) return;
        const top = this.top;
        if (!top || !top.waiting) return;
        const d = this.dtmf[0];
        if (d && top.readsDtmf) {
          this.dtmf.shift();
          // switch_channel_dequeue_dtmf fires the DTMF event when the digit is read (a03: DTMF-Duration in samples)
          this.#ch.fire('DTMF', { post: [['DTMF-Digit', d.digit], ['DTMF-Duration', String(d.durationMs * 8)], ['DTMF-Source', 'UNKNOWN']] });
          top.resolveWait({ kind: 'dtmf', digit: d.digit, durationMs: d.durationMs });
          continue;
        }
        if (d && top.peeksDtmf) {
          top.resolveWait({ kind: 'wake', reason: 'dtmf' });
          continue;
        }
        if (this.queue.length && top.spec.pollsEvents && !this.locked) {
          const msg = this.queue.shift()!;
          this.#runMessage(msg);
          continue;
        }
        return;
      }
    } finally {
      this.#pumping = false;
    }
  }

  #runMessage(msg: PrivateMessage): void {
    if (msg.command === 'hangup') {
      // b05: a hangup message run nested cuts the playback off; the playback still reports FILE PLAYED
      this.#ch.hangup(msg.hangupCause ?? 'NORMAL_CLEARING', { self: true });
      return;
    }
    if (msg.command === 'execute' && msg.app) this.start(msg.app, msg.arg ?? '', { eventLock: msg.eventLock, appUuid: msg.appUuid });
  }

  /** Starts an app on top of the stack: CHANNEL_EXECUTE now, CHANNEL_EXECUTE_COMPLETE when it returns. */
  start(app: string, arg: string, opts: { eventLock?: boolean; appUuid?: string; noEvents?: boolean; quiet?: boolean } = {}): Frame | undefined {
    const ch = this.#ch;
    const spec = ch.core.apps.get(app.toLowerCase());
    if (!spec || ch.hungUp) return undefined; // switch_core_session_execute_application: "Invalid Application" — nothing fires
    this.top?.pause();
    const frame = new Frame(ch, app.toLowerCase(), arg, spec, opts.eventLock === true, opts.appUuid ?? ch.core.newUuid(), opts.noEvents);
    this.stack.push(frame);
    ch.setVar('current_application_response', undefined);
    ch.setVar('current_application_data', arg === '' ? undefined : arg);
    ch.setVar('current_application', frame.app);
    if (!opts.quiet) {
      const post: Array<[string, string]> = [['Application', frame.app]];
      if (arg !== '') post.push(['Application-Data', arg]);
      if (!opts.noEvents) post.push(['Application-UUID', frame.appUuid!]);
      ch.fire('CHANNEL_EXECUTE', { post, calling: opts.noEvents ? 'CHANNEL_EXECUTE_UUID_BRIDGE' : undefined });
    }
    if (!opts.quiet) ch.appLog.push({ app: frame.app, arg });
    const ctx: AppContext = { channel: ch, frame, arg, wait: (o: WaitOpts) => frame.wait(o) };
    spec.run(ctx).then(
      (resp) => this.finish(frame, resp),
      (err: unknown) => {
        process.emitWarning(`fakeswitch app ${frame.app} failed: ${String(err)}`);
        this.finish(frame, 'ERROR');
      },
    );
    return frame;
  }

  /** An app returned: CHANNEL_EXECUTE_COMPLETE with Application-Response, then the app below resumes. */
  finish(frame: Frame, resp: string | undefined): void {
    if (frame.ended) return;
    if (this.top !== frame) {
      this.#pending.set(frame, resp); // it completes once the nested apps above it are done
      return;
    }
    this.#complete(frame, resp);
    if (this.#pendingTransfer && !this.#ch.hungUp) {
      const apps = this.#pendingTransfer;
      this.#pendingTransfer = undefined;
      this.transferTo(apps, true);
      return;
    }
    this.#afterPop();
  }

  #complete(frame: Frame, resp: string | undefined, parkUnpark = true): void {
    const ch = this.#ch;
    frame.ended = true;
    frame.resolveWait({ kind: 'hangup' });
    this.stack.splice(this.stack.indexOf(frame), 1);
    this.#pending.delete(frame);
    if (resp !== undefined) ch.setVar('current_application_response', resp);
    const response = ch.getVar('current_application_response') ?? '_none_';
    const entry = [...ch.appLog].reverse().find((e) => e.app === frame.app && e.response === undefined);
    if (entry) entry.response = response;
    if (frame.noEvents) return;
    if (frame.spec.parkLike && parkUnpark && frame.parked) ch.fire('CHANNEL_UNPARK');
    const post: Array<[string, string]> = [['Application', frame.app]];
    if (frame.arg !== '') post.push(['Application-Data', frame.arg]);
    post.push(['Application-Response', response], ['Application-UUID', frame.appUuid!]);
    ch.fire('CHANNEL_EXECUTE_COMPLETE', { post });
  }

  #afterPop(): void {
    const ch = this.#ch;
    if (ch.hungUp) return;
    const top = this.top;
    if (top) {
      if (this.#pending.has(top)) {
        this.finish(top, this.#pending.get(top));
        return;
      }
      top.resume();
      this.schedulePump();
      return;
    }
    const next = ch.dialplan.shift();
    if (next) {
      this.start(next[0], next[1]);
      return;
    }
    ch.hangup('NORMAL_CLEARING'); // the extension has no more actions
  }

  /**
   * Unwinds every running app top to bottom on hangup or transfer. Apps report their hangup response
   * (playback: `PLAYBACK ERROR`, or `FILE PLAYED` when this channel's own message/app caused it — b02/b05, d05b/d05c);
   * park-like apps fire CHANNEL_UNPARK first.
   */
  unwind(self: boolean): void {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const f = this.stack[i]!;
      const own = this.#pending.has(f) ? this.#pending.get(f) : f.spec.hangupResponse?.(self);
      this.#complete(f, own);
    }
    if (this.#ch.hungUp) {
      this.queue.length = 0;
      this.dtmf.length = 0;
    }
  }

  /** uuid_break: ends the top app's wait if it can be broken; `all` also drops the queued messages (mod_commands.c). */
  breakTop(all: boolean): void {
    if (all) this.queue.length = 0;
    const top = this.top;
    if (top?.breakable) top.resolveWait({ kind: 'break' });
  }

  /** socket_resume: unwind the socket app and whatever runs inside it, then continue the dialplan. */
  leaveSocket(): void {
    if (!this.stack.some((f) => f.app === 'socket')) return;
    this.unwind(false);
    this.#afterPop();
  }

  /** The transfer app asks to leave the current extension once it has completed (d05a/d05b). */
  requestTransfer(apps: Array<[string, string]>): void {
    this.#pendingTransfer = apps;
  }

  /** uuid_transfer / transfer: unwind, flush DTMF (d07b), run the new extension's apps. */
  transferTo(apps: Array<[string, string]>, self: boolean): void {
    const ch = this.#ch;
    this.unwind(self);
    this.dtmf.length = 0;
    ch.dialplan = [...apps];
    ch.times.transfer = Date.now() * 1000;
    // d07b/d05: the channel goes back through routing into execute before the new extension's first app
    ch.setState('CS_ROUTING');
    ch.setState('CS_EXECUTE');
    const next = ch.dialplan.shift();
    if (next) this.start(next[0], next[1]);
    else ch.hangup('NO_ROUTE_DESTINATION');
  }
}
