// One caller's session: feeds FreeSWITCH events and effect results into the pure flow
// (transition.ts) and carries out the effects it returns, in order. Owns the timers and the
// audio; cancels all of them when the call ends and never writes to a dead channel.
import type { Logger } from '../log/logger.js';
import type { QueueConfig } from '../config/types.js';
import type { OutboundSession } from '../esl/outbound-session.js';
import type { EslEvent } from '../esl/esl-event.js';
import { assertSingleLine } from '../esl/wire-text.js';
import type { CallEntryStore, EnteredQueue, EntryWatch } from './ports.js';
import type { CallbackEta } from './callback-eta.js';
import { callbackEtaOf, positionPrompts } from './pace-prompts.js';
import type { FlowEffect, FlowEvent, FlowOutcome, FlowState, TimerName } from './types.js';
import { initialState, transition } from './transition.js';
import { toFlowQueue } from './flow-queue.js';
import { ChannelMedia } from './channel-media.js';
import { FlowAudio, MAX_PROMPT_MS } from './flow-audio.js';
import { playbackArg, type PromptSet } from './prompt-files.js';
import { closedNow, closedTransferTarget } from './closed-hours.js';
import { callbackExpiresAt } from '../queue/opening-hours.js';
import { CLOSED_PROMPT } from './transitions/closed.js';

export interface CallSessionOptions {
  readonly channel: OutboundSession;
  readonly queue: QueueConfig;
  /** Other queues by name, for overflow into one of ours (the caller keeps the place). */
  readonly queueByName: (name: string) => QueueConfig | undefined;
  readonly store: CallEntryStore;
  readonly prompts: (queue: QueueConfig) => PromptSet;
  readonly fsNode: string;
  readonly logger: Logger;
  /** The caller's number if usable for a callback (already checked against the queue's rules). */
  readonly callerNumber: string | null;
  readonly callerNumberRaw: string | null;
  readonly callerName: string | null;
  /** Deadline for api calls on the channel. */
  readonly commandTimeoutMs?: number;
  /** Multiplies every flow timer (tests run the flow faster). Default 1. */
  readonly timeScale?: number;
  /** Dispatch's news of this caller's entry (agent reserved / released); none: the flow learns of an agent at the bridge. */
  readonly entryWatch?: EntryWatch;
  /** The clock the queue's opening hours are read with (tests fix it). Default: the system's. */
  readonly now?: () => Date;
}

export class CallSession {
  readonly #o: CallSessionOptions;
  #log: Logger;
  readonly #media: ChannelMedia;
  readonly #audio: FlowAudio;
  #queue: QueueConfig;
  #flowQueue;
  #state: FlowState = initialState();
  #entryId: string | null = null;
  #unwatch: (() => void) | undefined;
  readonly #timers = new Map<TimerName, NodeJS.Timeout>();
  readonly #inbox: FlowEvent[] = [];
  #running = false;
  #socketAppEnded = false;
  #logChain: Promise<void> = Promise.resolve();
  readonly #ended: Promise<FlowOutcome>;
  #resolveEnded!: (o: FlowOutcome) => void;

  constructor(options: CallSessionOptions) {
    this.#o = options;
    this.#queue = options.queue;
    this.#flowQueue = toFlowQueue(options.queue);
    this.#log = options.logger;
    this.#media = new ChannelMedia(options.channel, options.commandTimeoutMs ?? 5000);
    this.#audio = new FlowAudio({
      media: this.#media,
      dispatch: (event) => this.#dispatch(event),
      live: () => this.#live,
      hungUp: () => this.#o.channel.isHungUp,
      waiting: () => this.#state.kind === 'waiting',
      log: () => this.#log,
      promptArg: (ids) => this.#promptArg(ids),
      queue: () => this.#queue,
    });
    this.#ended = new Promise((r) => { this.#resolveEnded = r; });
  }

  /** The entry holding this caller's place (changes on take-over and overflow). */
  get entryId(): string | null {
    return this.#entryId;
  }

  /** Runs the call to its end; resolves with how it ended. */
  async run(): Promise<FlowOutcome> {
    const ch = this.#o.channel;
    ch.on('hangup', (cause) => this.#dispatch({ type: 'hangup', cause }));
    ch.on('dtmf', (digit) => this.#onDtmf(digit));
    ch.on('event', (ev) => this.#onChannelEvent(ev));
    void ch.closed.then(() => this.#onSocketClosed());
    try {
      if (ch.isHungUp) return 'abandoned';
      await ch.execute('answer');
      // Nothing the caller presses may end a prompt by itself; keys are read as events.
      await ch.execute('set', 'playback_terminators=none');
      // The call ends when the conversation does. The caller is the first uuid of dispatch's
      // uuid_bridge; when the agent hangs up first, FreeSWITCH puts that survivor back into its
      // dialplan after `socket` (the fallback: music, then the queue again) unless this is set
      // (switch_ivr_bridge.c, switch_ivr_multi_threaded_bridge; docs/design.md §6).
      await ch.execute('set', 'hangup_after_bridge=true');
      const entered = await this.#o.store.enterQueue({
        queueId: this.#queue.name,
        channelUuid: ch.uuid,
        fsNode: this.#o.fsNode,
        callerNumber: this.#o.callerNumberRaw,
        callerName: this.#o.callerName,
        callbackCandidate: this.#o.callerNumber,
      });
      if (this.#state.kind === 'ended') {
        // The caller hung up while the entry was being created: the flow has already ended
        // (abandoned, its abandon_entry ran with no entry yet) and would ignore entry_ready, so
        // the new row would stay `waiting` in the queue for nobody. End it here.
        this.#entryId = entered.entryId;
        await this.#o.store.abandon(entered.entryId, ch.hangupCause ?? 'NORMAL_CLEARING');
      } else {
        this.#enter(entered);
      }
    } catch (err) {
      if (ch.isHungUp) this.#dispatch({ type: 'hangup', cause: ch.hangupCause ?? 'NORMAL_CLEARING' });
      else {
        this.#log.error('could not queue the caller', { err });
        this.#finish('error');
        await ch.hangup('TEMPORARY_FAILURE').catch(() => undefined);
      }
    }
    const outcome = await this.#ended;
    await this.#logChain;
    return outcome;
  }

  /** The entry that holds this caller's place now; dispatch's news of it reach the flow. */
  #holdEntry(entryId: string): void {
    this.#entryId = entryId;
    this.#unwatch?.();
    this.#unwatch = this.#o.entryWatch?.watch(entryId, (news) => {
      if (news === 'released') {
        this.#dispatch({ type: 'agent_released' });
        return;
      }
      void this.#onAgentReserved();
    });
  }

  #enter(entered: EnteredQueue): void {
    this.#holdEntry(entered.entryId);
    this.#log = this.#o.logger.child({ entryId: entered.entryId, queue: this.#queue.name });
    this.#dispatch({
      type: 'entry_ready',
      entry: { entryId: entered.entryId, arrivedAt: entered.arrivedAt },
      callerNumber: this.#o.callerNumber,
      existingCallbackId: entered.existingCallbackId,
      resumed: entered.resumed,
      waitedSeconds: entered.waitedSeconds,
      inConversation: entered.inConversation === true,
      closed: closedNow(this.#queue, this.#now()),
    });
  }

  #dispatch(event: FlowEvent): void {
    this.#inbox.push(event);
    if (!this.#running) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#inbox.length > 0) {
        const event = this.#inbox.shift()!;
        const { state, effects } = transition(this.#flowQueue, this.#state, event);
        this.#state = state;
        for (const effect of effects) {
          try {
            await this.#run(effect);
          } catch (err) {
            this.#onEffectError(effect, err);
          }
        }
        if (state.kind === 'ended') this.#finish(state.outcome);
      }
    } finally {
      this.#running = false;
    }
  }

  #onEffectError(effect: FlowEffect, err: unknown): void {
    if (this.#o.channel.isHungUp) return; // the hangup event follows and ends the flow
    this.#log.error('call flow effect failed', { effect: effect.type, err });
  }

  /**
   * The socket is gone. After a hangup the flow has ended (or is ending) by itself. Without one,
   * the caller may still be on the line: keep their entry waiting (not abandoned) so the
   * dialplan fallback's re-entry finds it by channel uuid; if they did hang up, the worker's
   * reconciler abandons entries whose channel no longer exists.
   */
  #onSocketClosed(): void {
    if (this.#o.channel.hangupCause !== undefined && this.#o.channel.hangupCause !== 'SOCKET_CLOSED') return;
    if (this.#state.kind === 'ended') return;
    this.#log.warn('socket closed without a hangup: leaving the entry for the caller to resume', { state: this.#state.kind });
    this.#state = { kind: 'ended', outcome: 'detached' };
    if (this.#entryId) {
      const entryId = this.#entryId;
      // On the write chain run() waits for: the controller's shutdown closes the database only
      // after every session has returned, so this last write is never cut off (issue 8f).
      this.#logChain = this.#logChain
        .then(() => this.#o.store.setStatus(entryId, 'waiting'))
        .catch((err: unknown) => { this.#log.error('could not reset the entry', { err }); });
    }
    this.#finish('detached');
  }

  #finish(outcome: FlowOutcome): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#resolveEnded(outcome);
  }

  /** True while apps may still be sent to the channel. */
  get #live(): boolean {
    return !this.#o.channel.isHungUp && !this.#socketAppEnded;
  }

  async #run(effect: FlowEffect): Promise<void> {
    const store = this.#o.store;
    switch (effect.type) {
      case 'log':
        this.#appendLog(`call.${effect.event}`, effect.details);
        return;
      case 'play':
        return this.#audio.play(effect.prompts, effect.tag);
      case 'hold_music':
        return this.#audio.holdMusic();
      case 'stop_audio':
        return this.#audio.stop(effect.endRead === true);
      case 'menu':
        return this.#audio.menu(effect.prompts, effect.keys, effect.timeoutSeconds);
      case 'collect_number':
        return this.#audio.collectNumber(effect.prompts, effect.timeoutSeconds);
      case 'start_timer':
        return this.#startTimer(effect.timer, effect.seconds);
      case 'cancel_timer': {
        clearTimeout(this.#timers.get(effect.timer));
        this.#timers.delete(effect.timer);
        return;
      }
      case 'commit_callback': {
        const cb = this.#queue.callback;
        const policy = { maxAttempts: cb.retry.attempts, expiryMinutes: cb.expiryMinutes, expiresAt: callbackExpiresAt(this.#queue, this.#now()) };
        const r = await store.convertToCallback(this.#requireEntry(), effect.number, policy)
          .catch((err: Error) => ({ ok: false as const, reason: err.message, agentConnecting: false }));
        if (!r.ok) {
          this.#dispatch({ type: 'commit_failed', reason: r.reason, agentConnecting: r.agentConnecting === true });
          return;
        }
        const eta = r.duplicateOf === null ? await this.#callbackEstimate() : { later: false, prompts: [] };
        this.#dispatch({ type: 'commit_ok', estimate: eta.prompts, later: eta.later });
        return;
      }
      case 'keep_existing_callback':
        return store.keepExistingCallback(this.#requireEntry(), effect.callbackEntryId);
      case 'take_over_callback': {
        const id = await store.takeOverCallback(this.#requireEntry(), effect.callbackEntryId, this.#o.channel.uuid, this.#o.fsNode);
        if (id) this.#holdEntry(id);
        else this.#log.warn('the pending callback is being dialled already: the caller keeps this entry', { callbackEntryId: effect.callbackEntryId });
        return;
      }
      case 'set_entry_status':
        if (this.#entryId) await store.setStatus(this.#entryId, effect.status);
        return;
      case 'announce_position':
        return this.#announcePosition();
      case 'overflow':
        return this.#overflow();
      case 'abandon_entry':
        if (this.#entryId) await store.abandon(this.#entryId, this.#o.channel.hangupCause ?? 'NORMAL_CLEARING');
        return;
      case 'end_closed':
        if (this.#entryId) await store.endClosed(this.#entryId, 'cancelled');
        return;
      case 'closed_transfer':
        return this.#closedTransfer();
      case 'hangup':
        if (!this.#o.channel.isHungUp) await this.#o.channel.hangup(effect.cause);
        return;
      default: {
        const never: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(never)}`);
      }
    }
  }

  #requireEntry(): string {
    if (!this.#entryId) throw new Error('no entry yet');
    return this.#entryId;
  }

  #appendLog(eventType: string, details?: Readonly<Record<string, unknown>>): void {
    const entryId = this.#entryId;
    const queue = this.#queue.name;
    this.#logChain = this.#logChain
      .then(() => this.#o.store.log(entryId, queue, eventType, details ?? {}))
      .catch((err: unknown) => { this.#log.error('could not write the event log', { err, eventType }); });
  }

  #promptArg(ids: readonly string[]): string {
    return playbackArg(this.#o.prompts(this.#queue), ids);
  }

  #startTimer(timer: TimerName, seconds: number): void {
    clearTimeout(this.#timers.get(timer));
    this.#timers.set(timer, setTimeout(() => {
      this.#timers.delete(timer);
      this.#dispatch({ type: 'timer', timer });
    }, this.#seconds(seconds)));
  }

  #seconds(s: number): number {
    return Math.max(1, Math.round(s * 1000 * (this.#o.timeScale ?? 1)));
  }

  /**
   * Roughly when a callback just committed will come (pace-prompts.ts). A failed read says
   * nothing: the callback is committed, the estimate is only a courtesy.
   */
  async #callbackEstimate(): Promise<CallbackEta> {
    if (!this.#entryId) return { later: false, prompts: [] };
    return callbackEtaOf(this.#o.store, this.#queue, this.#entryId, this.#now()).catch((err: unknown) => {
      this.#log.warn('could not estimate when the callback comes', { err });
      return { later: false, prompts: [] };
    });
  }

  async #announcePosition(): Promise<void> {
    if (!this.#entryId || !this.#live) return;
    this.#audio.play(await positionPrompts(this.#o.store, this.#queue, this.#entryId), 'announce');
  }

  async #overflow(): Promise<void> {
    const target = this.#queue.overflow;
    const entryId = this.#requireEntry();
    if (target?.action === 'queue') {
      const next = this.#o.queueByName(target.queue);
      const entered = next ? await this.#o.store.overflow(entryId, next.name) : null;
      if (next && entered) {
        // Same socket, next queue: the caller hears its greeting and keeps the place.
        this.#queue = next;
        this.#flowQueue = toFlowQueue(next);
        this.#state = initialState();
        this.#enter(entered);
        return;
      }
      this.#log.error('overflow queue unavailable', { target: target.queue });
      this.#dispatch({ type: 'transfer_done' });
      return;
    }
    await this.#o.store.overflow(entryId, null);
    if (target?.action === 'transfer') {
      const dest = `${target.extension} ${target.dialplan} ${target.context}`;
      assertSingleLine(dest, 'overflow target');
      // uuid_transfer is not held back by an event-locked app, sendmsg transfer is (d05a/d05c).
      if (this.#live) await this.#o.channel.api(`uuid_transfer ${this.#o.channel.uuid} ${dest}`);
      this.#dispatch({ type: 'transfer_done' });
      return;
    }
    // No target, or `hangup`: say goodbye and end the call.
    if (this.#live) await this.#media.play(this.#promptArg(['all-busy-goodbye']), MAX_PROMPT_MS).catch(() => undefined);
    if (!this.#o.channel.isHungUp) await this.#o.channel.hangup('NORMAL_CLEARING').catch(() => undefined);
    this.#dispatch({ type: 'transfer_done' });
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }

  /** The queue is closed and sends its callers elsewhere: "we are closed, transferring", then the transfer. */
  async #closedTransfer(): Promise<void> {
    await this.#o.store.endClosed(this.#requireEntry(), 'overflowed');
    if (this.#live) await this.#media.play(this.#promptArg([CLOSED_PROMPT.closed, CLOSED_PROMPT.transferring]), MAX_PROMPT_MS).catch(() => undefined);
    const dest = closedTransferTarget(this.#queue);
    if (dest !== null && this.#live) {
      assertSingleLine(dest, 'closed transfer target');
      await this.#o.channel.api(`uuid_transfer ${this.#o.channel.uuid} ${dest}`);
    } else if (!this.#o.channel.isHungUp) {
      await this.#o.channel.hangup('NORMAL_CLEARING').catch(() => undefined);
    }
    this.#dispatch({ type: 'transfer_done' });
  }

  /**
   * The news that an agent is reserved comes by Postgres, the bridge by this socket: with an
   * agent who answers at once the bridge can win. A prompt sent then would play inside the
   * bridge (sendmsg runs while bridged, b09), so the channel is asked first; when it is bridged
   * already, the CHANNEL_BRIDGE on its way here is all the flow needs.
   */
  async #onAgentReserved(): Promise<void> {
    if (!this.#live) return;
    const peer = await this.#o.channel.api(`uuid_getvar ${this.#o.channel.uuid} bridge_uuid`).catch(() => '');
    if (/^[0-9a-f-]{36}$/i.test(peer.trim())) return;
    this.#dispatch({ type: 'agent_reserved' });
  }

  #onDtmf(digit: string): void {
    if (this.#audio.takeDigit(digit)) return;
    // Menus read their keys through play_and_get_digits; only the waiting state acts on DTMF.
    if (this.#state.kind === 'waiting') this.#dispatch({ type: 'dtmf', digit });
  }

  #onChannelEvent(ev: EslEvent): void {
    if (ev.name === 'CHANNEL_BRIDGE') {
      this.#dispatch({ type: 'bridged' });
      // What the flow sent just before the bridge took the caller (the news of an agent racing
      // an agent who answers at once: "an agent is free now", hold music) would start inside the
      // bridge — sendmsg apps run while bridged (b09). `uuid_break all` drops them from the
      // channel's queue and stops one that began.
      if (!this.#o.channel.isHungUp) void this.#media.stop().catch(() => undefined);
      return;
    }
    if (ev.name === 'CHANNEL_EXECUTE_COMPLETE' && ev.header('Application') === 'socket' && !this.#o.channel.isHungUp) {
      // The socket app ended under us (uuid_bridge or a transfer by someone else): apps sent
      // now would play into the bridge (b09), so stop sending them.
      this.#socketAppEnded = true;
    }
  }
}
