// The far ends the worker dials in the demo: agents' phones and callback customers, as party
// scripts of the simulator (test/fakeswitch/parties.ts). The simulator reads a script's fields
// when it rings a leg, so getters give every call its own timing: agents answer after a few
// seconds and end the conversation after half a minute or so, customers answer (now and then
// one is busy: the callback is tried again after the retry delay). All times are simulated ms
// (the simulator multiplies them by its timeScale).
import type { FakeSwitch, PartyScript } from '../test/fakeswitch/index.js';
import type { Config } from '../controller/config/index.js';

/** A seeded random source (mulberry32): a test run is the same every time. */
export type Rng = () => number;

export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number of ms between `min` and `max`. */
export function between(rng: Rng, min: number, max: number): number {
  return Math.round(min + rng() * (max - min));
}

/** An agent's phone: rings 2–5 s, then a conversation of 20–45 s that the agent ends. */
export function agentParty(rng: Rng): PartyScript {
  return {
    get answerAfterMs() { return between(rng, 2_000, 5_000); },
    // Counted from the answer: on a callback that includes the whisper and the customer's ring
    // (a few seconds), so it stays well above them (an agent hanging up before the customer
    // answers is a failed try, not a conversation).
    get hangupAfterMs() { return between(rng, 20_000, 45_000); },
  };
}

/** A callback customer: answers after 3–8 s and talks 15–40 s; about one in ten is busy. */
export function customerParty(rng: Rng): PartyScript {
  return {
    get busy() { return rng() < 0.1; },
    get answerAfterMs() { return between(rng, 3_000, 8_000); },
    get hangupAfterMs() { return between(rng, 15_000, 40_000); },
  };
}

/**
 * Scripts every agent's contact of the config and every number the queues' dial templates can
 * produce (`loopback/cust-{number}` → any `loopback/cust-…`).
 */
export function defineParties(fs: FakeSwitch, config: Config, rng: Rng): void {
  for (const agent of config.agents) fs.defineEndpoint(agent.contact, agentParty(rng));
  const templates = new Set(config.queues.flatMap((q) => (q.callback.dialTemplate === null ? [] : [q.callback.dialTemplate])));
  for (const t of templates) {
    const [before, after] = t.split('{number}') as [string, string];
    fs.defineEndpoint(new RegExp(`^${escapeRegExp(before)}[0-9]+${escapeRegExp(after ?? '')}$`), customerParty(rng));
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
