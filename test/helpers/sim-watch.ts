// What the FreeSWITCH simulator saw, recorded from its own events: every CHANNEL_CREATE and
// CHANNEL_HANGUP the switch fires (to any listener or none), so a test can check what the phones
// experienced — independently of what the worker wrote in Postgres.
//
// Legs are grouped by a key the test derives from the channel name (the agent of an agent leg,
// the number of a customer leg); for each key: every leg, and any moment two were up at once.
import type { FakeSwitch } from '../fakeswitch/index.js';

export interface Leg {
  readonly uuid: string;
  readonly name: string;
  readonly key: string;
  readonly createdAt: number;
  hungUpAt: number | null;
  cause: string | null;
  /** When it was first bridged to another leg (CHANNEL_BRIDGE naming it as A or B). */
  bridgedAt: number | null;
}

export interface LegWatch {
  /** Every leg of each key, in creation order. */
  readonly legs: Map<string, Leg[]>;
  /** Legs created while another leg of the same key was still up. */
  readonly overlaps: Array<{ key: string; up: string; created: string }>;
  /** Legs of `key` up right now. */
  live(key: string): Leg[];
  /** Every leg up right now (all keys). */
  allLive(): Leg[];
  /**
   * Resolves once `check` holds, checked now and after every watched CREATE/HANGUP (the switch's
   * events, no polling); rejects after `timeoutMs`.
   */
  until(what: string, check: () => boolean, timeoutMs?: number): Promise<void>;
  stop(): void;
}

/**
 * Starts recording; `keyOf` maps a channel name to its key (undefined: not watched).
 * `onCreate` runs at the leg's CHANNEL_CREATE, before the simulator reads the endpoint's party
 * script for it (api/originate.ts startLeg): a test can change that script per call there.
 * `onBridge` runs once per watched leg, at the first CHANNEL_BRIDGE that names it.
 */
export function watchLegs(fs: FakeSwitch, keyOf: (channelName: string) => string | undefined, onCreate?: (leg: Leg) => void, onBridge?: (leg: Leg) => void): LegWatch {
  const core = fs.core;
  const legs = new Map<string, Leg[]>();
  const byUuid = new Map<string, Leg>();
  const overlaps: LegWatch['overlaps'] = [];
  const waiters = new Set<() => void>();
  const original = core.fire;
  core.fire = function watchedFire(this: typeof core, name, headers, body, callingKey) {
    if (name === 'CHANNEL_BRIDGE') {
      for (const h of ['Bridge-A-Unique-ID', 'Bridge-B-Unique-ID']) {
        const leg = byUuid.get(headers.find(([k]) => k === h)?.[1] ?? '');
        if (leg && leg.bridgedAt === null) {
          leg.bridgedAt = Date.now();
          onBridge?.(leg);
        }
      }
    }
    if (name === 'CHANNEL_CREATE' || name === 'CHANNEL_HANGUP') {
      const get = (h: string) => headers.find(([k]) => k === h)?.[1];
      const uuid = get('Unique-ID');
      const channelName = get('Channel-Name');
      const key = channelName === undefined ? undefined : keyOf(channelName);
      if (uuid && key !== undefined) {
        if (name === 'CHANNEL_CREATE' && !byUuid.has(uuid)) {
          const list = legs.get(key) ?? [];
          const up = list.find((l) => l.hungUpAt === null);
          if (up) overlaps.push({ key, up: up.uuid, created: uuid });
          const leg: Leg = { uuid, name: channelName!, key, createdAt: Date.now(), hungUpAt: null, cause: null, bridgedAt: null };
          list.push(leg);
          legs.set(key, list);
          byUuid.set(uuid, leg);
          onCreate?.(leg);
        } else if (name === 'CHANNEL_HANGUP') {
          const leg = byUuid.get(uuid);
          if (leg && leg.hungUpAt === null) {
            leg.hungUpAt = Date.now();
            leg.cause = core.channels.get(uuid)?.hangupCause ?? null;
          }
        }
        for (const w of [...waiters]) w();
      }
    }
    return original.call(this, name, headers, body, callingKey);
  };
  return {
    legs,
    overlaps,
    live: (key) => (legs.get(key) ?? []).filter((l) => l.hungUpAt === null),
    allLive: () => [...legs.values()].flat().filter((l) => l.hungUpAt === null),
    until(what, check, timeoutMs = 10_000) {
      if (check()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = (): void => {
          if (!check()) return;
          clearTimeout(timer);
          waiters.delete(w);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    stop: () => { core.fire = original; },
  };
}

/** A small seeded PRNG (mulberry32): the same seed gives the same draws. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
