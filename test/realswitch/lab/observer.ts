// What FreeSWITCH reports, as the judge of the real-switch tests: one inbound ESL connection
// subscribed to the channel events, kept per channel. What a caller or an agent heard is read
// from CHANNEL_EXECUTE_COMPLETE (`playback` with its file and `Application-Response`: FILE
// PLAYED, FILE NOT FOUND, PLAYBACK ERROR), bridges from CHANNEL_BRIDGE, endings from
// CHANNEL_HANGUP_COMPLETE with Hangup-Cause.
import { EslInboundClient } from '../../../controller/esl/inbound-client.js';
import type { EslEvent } from '../../../controller/esl/esl-event.js';
import type { EventName } from '../../../controller/esl/event-names.js';

const WATCHED: EventName[] = [
  'CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE',
  'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE', 'CHANNEL_PARK', 'DTMF', 'PLAYBACK_START', 'PLAYBACK_STOP',
];

/** One event as the tests look at it: its name, time of arrival and every header. */
export interface SeenEvent {
  readonly name: string;
  readonly uuid: string;
  readonly at: number;
  readonly h: Record<string, string>;
}

/** A finished app on a channel (CHANNEL_EXECUTE_COMPLETE). */
export interface AppRun {
  readonly app: string;
  readonly data: string;
  readonly response: string;
  readonly at: number;
}

export class SwitchObserver {
  readonly client: EslInboundClient;
  readonly events: SeenEvent[] = [];
  readonly #waiters = new Set<{ pred: (e: SeenEvent) => boolean; resolve: (e: SeenEvent) => void }>();

  private constructor(client: EslInboundClient) {
    this.client = client;
    client.on('event', (ev) => this.#onEvent(ev));
  }

  static async connect(port: number, password: string): Promise<SwitchObserver> {
    const client = new EslInboundClient({ host: '127.0.0.1', port, password, events: WATCHED, commandTimeoutMs: 30_000 });
    client.on('connect-error', () => undefined);
    client.on('protocol-error', () => undefined);
    const o = new SwitchObserver(client);
    await client.connect();
    return o;
  }

  /** `api <cmd>` on the observer's connection (trimmed body). */
  async api(cmd: string, timeoutMs = 30_000): Promise<string> {
    return (await this.client.api(cmd, { timeoutMs })).trim();
  }

  #onEvent(ev: EslEvent): void {
    const uuid = ev.uniqueId;
    if (!uuid || !ev.name) return;
    const seen: SeenEvent = { name: ev.name, uuid, at: Date.now(), h: ev.toObject() };
    this.events.push(seen);
    for (const w of [...this.#waiters]) {
      if (w.pred(seen)) {
        this.#waiters.delete(w);
        w.resolve(seen);
      }
    }
  }

  /** The first event, past or future, matching `pred`; rejects after `timeoutMs` saying what it waited for. */
  waitFor(what: string, pred: (e: SeenEvent) => boolean, timeoutMs = 30_000): Promise<SeenEvent> {
    const past = this.events.find(pred);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (e: SeenEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(w);
    });
  }

  /** Every event of one channel, in arrival order. */
  of(uuid: string): SeenEvent[] {
    return this.events.filter((e) => e.uuid === uuid);
  }

  /** The apps that finished on a channel, in order. */
  apps(uuid: string): AppRun[] {
    return this.of(uuid).filter((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE').map((e) => ({
      app: e.h.Application ?? '', data: e.h['Application-Data'] ?? '', response: e.h['Application-Response'] ?? '', at: e.at,
    }));
  }

  /** Apps started on a channel (CHANNEL_EXECUTE), in order: app name and data. */
  started(uuid: string): Array<{ app: string; data: string; at: number }> {
    return this.of(uuid).filter((e) => e.name === 'CHANNEL_EXECUTE').map((e) => ({ app: e.h.Application ?? '', data: e.h['Application-Data'] ?? '', at: e.at }));
  }

  /**
   * The prompt files a channel played, by prompt id (`<dir>/<lang>/<id>.wav` → `<id>`), in order,
   * with how each playback ended. play_and_get_digits and `file_string://a!b` lists are split
   * into their files.
   */
  playedPrompts(uuid: string): Array<{ id: string; app: string; response: string; file: string }> {
    const out: Array<{ id: string; app: string; response: string; file: string }> = [];
    for (const run of this.apps(uuid)) {
      if (run.app !== 'playback' && run.app !== 'play_and_get_digits') continue;
      const files = filesOf(run.app, run.data);
      for (const f of files) out.push({ id: promptId(f), app: run.app, response: run.response, file: f });
    }
    return out;
  }

  /** The hangup of a channel (CHANNEL_HANGUP_COMPLETE), waited for. */
  hangupOf(uuid: string, timeoutMs = 30_000): Promise<SeenEvent> {
    return this.waitFor(`the hangup of ${uuid}`, (e) => e.uuid === uuid && e.name === 'CHANNEL_HANGUP_COMPLETE', timeoutMs);
  }

  /** Forgets the events seen so far (between tests). */
  clear(): void {
    this.events.length = 0;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** The files a playback or play_and_get_digits named (file_string:// lists split at `!`). */
export function filesOf(app: string, data: string): string[] {
  let spec = data;
  if (app === 'play_and_get_digits') {
    // <min> <max> <tries> <timeout> <terminators> <file> <invalid_file> <var> <regex> [<digit_timeout>]
    spec = data.split(/\s+/)[5] ?? '';
  }
  spec = spec.replace(/^%\[[^\]]*\]/, '').replace(/^\{[^}]*\}/, '');
  if (spec.startsWith('file_string://')) return spec.slice('file_string://'.length).split('!').filter(Boolean);
  return spec ? [spec] : [];
}

/** `…/qcb/en/callback-menu.wav` → `callback-menu`; a stream or other file is returned as it is. */
export function promptId(file: string): string {
  const m = /\/qcb\/[a-z]{2}\/([a-z0-9-]+)\.wav$/.exec(file);
  return m ? m[1]! : file;
}
