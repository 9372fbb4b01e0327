// Which free agent(s) a queue offers its next entry to. Pure: the matcher loads the candidates
// (already filtered to free, ready agents of the queue) and locks what this returns.
//
// Tier levels apply to every strategy (README.md "Configuration"): only the agents of the best
// (lowest) level among the candidates are considered, so level 2 gets calls only while no
// level 1 agent is free. Every ordering ends with the agent id, so the result never depends
// on the order the candidates came in (nor on the database's row order).
import type { Strategy } from '../config/types.js';

/** A free agent of one queue, with what the strategies order by. */
export interface CandidateAgent {
  readonly id: string;
  /** Tier level in this queue: 1 is offered first. */
  readonly level: number;
  /** Position within the level (top-down). */
  readonly position: number;
  /** When the agent became free (end of wrap-up/delay, or end of the last call); null = never busy. */
  readonly idleSince: Date | null;
  /** When this queue last offered the agent a call (round-robin); null = never. */
  readonly lastOfferedAt: Date | null;
  readonly talkSeconds: number;
  readonly callsAnswered: number;
}

/** Ring-all rings at most this many phones at once: one originate with more legs is a flood. */
export const RING_ALL_MAX = 20;

type Compare = (a: CandidateAgent, b: CandidateAgent) => number;

const byId: Compare = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
/** Earlier first; null (never) before any date. */
const time = (d: Date | null): number => (d === null ? Number.NEGATIVE_INFINITY : d.getTime());
const then = (...cmps: Compare[]): Compare => (a, b) => {
  for (const c of cmps) {
    const r = c(a, b);
    if (r !== 0) return r;
  }
  return 0;
};
const asc = (f: (a: CandidateAgent) => number): Compare => (a, b) => {
  const x = f(a);
  const y = f(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

const byPosition = then(asc((a) => a.position), byId);

/** The single-agent strategies as orderings: the first agent is the one offered. */
const ORDER: Readonly<Record<Exclude<Strategy, 'ring-all' | 'random'>, Compare>> = {
  // Idle the longest: the earliest idleSince; an agent never busy counts as idle the longest.
  'longest-idle': then(asc((a) => time(a.idleSince)), byId),
  // In turn: the agent this queue offered a call least recently (never first), then by
  // position, so a fresh set of agents is walked in tier order and keeps rotating after.
  'round-robin': then(asc((a) => time(a.lastOfferedAt)), byPosition),
  // Always the first free agent in the tier list (the level is already the best one).
  'top-down': byPosition,
  'least-talk-time': then(asc((a) => a.talkSeconds), byId),
  'fewest-calls': then(asc((a) => a.callsAnswered), byId),
};

/** The candidates of the best (lowest) tier level present. */
export function bestLevel<T extends CandidateAgent>(candidates: readonly T[]): T[] {
  if (candidates.length === 0) return [];
  const level = Math.min(...candidates.map((c) => c.level));
  return candidates.filter((c) => c.level === level);
}

/**
 * The agents to offer the next entry to, in order: ring-all → all of the best level (by
 * position, at most RING_ALL_MAX); every other strategy → exactly one; none → [].
 * `random` returns a number in [0, 1) (Math.random by default; tests pass their own).
 */
export function pickAgents<T extends CandidateAgent>(candidates: readonly T[], strategy: Strategy, random: () => number = Math.random): T[] {
  const pool = bestLevel(candidates);
  if (pool.length === 0) return [];
  if (strategy === 'ring-all') return pool.sort(byPosition).slice(0, RING_ALL_MAX);
  if (strategy === 'random') {
    // Sorted first so the same random number picks the same agent whatever the input order.
    pool.sort(byId);
    const i = Math.min(pool.length - 1, Math.max(0, Math.floor(random() * pool.length)));
    return [pool[i]!];
  }
  return [pool.sort(ORDER[strategy])[0]!];
}
