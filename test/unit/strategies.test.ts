// Agent strategies: which free agent(s) each one offers the next entry to, tier levels first,
// ties broken by id whatever order the candidates come in.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bestLevel, pickAgents, RING_ALL_MAX, type CandidateAgent } from '../../controller/queue/strategies.js';
import { STRATEGIES } from '../../controller/config/index.js';

const T = (s: number): Date => new Date(Date.UTC(2026, 0, 1, 9, 0, s));

function agent(id: string, over: Partial<CandidateAgent> = {}): CandidateAgent {
  return { id, level: 1, position: 1, idleSince: T(0), lastOfferedAt: null, talkSeconds: 0, callsAnswered: 0, ...over };
}

const ids = (agents: readonly CandidateAgent[]): string[] => agents.map((a) => a.id);
/** Every rotation and the reverse of the list: a result must not depend on the input order. */
function orders<X>(list: readonly X[]): X[][] {
  const out: X[][] = [];
  for (let i = 0; i < list.length; i++) out.push([...list.slice(i), ...list.slice(0, i)]);
  out.push([...list].reverse());
  return out;
}

function picks(list: readonly CandidateAgent[], strategy: Parameters<typeof pickAgents>[1], random?: () => number): string[] {
  const results = orders(list).map((l) => ids(pickAgents(l, strategy, random)).join(','));
  assert.equal(new Set(results).size, 1, `${strategy}: same answer for every input order (${results.join(' | ')})`);
  return results[0]!.split(',').filter(Boolean);
}

describe('pickAgents', () => {
  it('returns nobody when nobody is free, for every strategy', () => {
    for (const s of STRATEGIES) assert.deepEqual(pickAgents([], s, () => 0.5), [], s);
  });

  it('returns exactly one agent for every strategy but ring-all', () => {
    const list = [agent('a'), agent('b'), agent('c')];
    for (const s of STRATEGIES.filter((x) => x !== 'ring-all')) assert.equal(pickAgents(list, s, () => 0.7).length, 1, s);
  });

  it('ring-all: every agent of the best level, by position then id, at most RING_ALL_MAX', () => {
    const list = [agent('c', { position: 2 }), agent('b', { position: 1 }), agent('a', { position: 2 }), agent('z', { level: 2 })];
    assert.deepEqual(picks(list, 'ring-all'), ['b', 'a', 'c']);
    const many = Array.from({ length: 30 }, (_, i) => agent(`agent-${String(i).padStart(2, '0')}`));
    const rung = pickAgents(many, 'ring-all');
    assert.equal(rung.length, RING_ALL_MAX);
    assert.deepEqual(ids(rung), ids(many).slice(0, RING_ALL_MAX));
  });

  it('longest-idle: the earliest idleSince; never busy counts as idle the longest; ties by id', () => {
    assert.deepEqual(picks([agent('a', { idleSince: T(30) }), agent('b', { idleSince: T(10) }), agent('c', { idleSince: T(20) })], 'longest-idle'), ['b']);
    assert.deepEqual(picks([agent('a', { idleSince: T(30) }), agent('b', { idleSince: null })], 'longest-idle'), ['b']);
    assert.deepEqual(picks([agent('b', { idleSince: T(5) }), agent('a', { idleSince: T(5) }), agent('c', { idleSince: T(6) })], 'longest-idle'), ['a']);
  });

  it('round-robin: least recently offered by this queue (never first), then position, then id', () => {
    const list = [
      agent('a', { position: 1, lastOfferedAt: T(50) }),
      agent('b', { position: 2, lastOfferedAt: T(40) }),
      agent('c', { position: 3, lastOfferedAt: T(60) }),
    ];
    assert.deepEqual(picks(list, 'round-robin'), ['b']);
    // A fresh set is walked in tier order...
    assert.deepEqual(picks([agent('x', { position: 2 }), agent('y', { position: 1 }), agent('w', { position: 3 })], 'round-robin'), ['y']);
    // ...and keeps rotating: offering marks the agent, the next one comes up.
    let pool = [agent('p1', { position: 1 }), agent('p2', { position: 2 }), agent('p3', { position: 3 })];
    const served: string[] = [];
    for (let i = 0; i < 6; i++) {
      const [next] = pickAgents(pool, 'round-robin');
      served.push(next!.id);
      pool = pool.map((a) => (a.id === next!.id ? { ...a, lastOfferedAt: T(i + 1) } : a));
    }
    assert.deepEqual(served, ['p1', 'p2', 'p3', 'p1', 'p2', 'p3']);
  });

  it('top-down: the lowest level, then the lowest position, then id; whatever the idle times', () => {
    const list = [
      agent('a', { level: 2, position: 1, idleSince: null }),
      agent('b', { level: 1, position: 3, idleSince: null }),
      agent('c', { level: 1, position: 2, idleSince: T(99) }),
      agent('d', { level: 1, position: 2, idleSince: T(98) }),
    ];
    assert.deepEqual(picks(list, 'top-down'), ['c']);
  });

  it('least-talk-time: the least talk seconds, ties by id', () => {
    assert.deepEqual(picks([agent('a', { talkSeconds: 300 }), agent('b', { talkSeconds: 120 }), agent('c', { talkSeconds: 900 })], 'least-talk-time'), ['b']);
    assert.deepEqual(picks([agent('b', { talkSeconds: 0 }), agent('a', { talkSeconds: 0 })], 'least-talk-time'), ['a']);
  });

  it('fewest-calls: the fewest calls answered, ties by id', () => {
    assert.deepEqual(picks([agent('a', { callsAnswered: 9 }), agent('b', { callsAnswered: 3, talkSeconds: 9999 }), agent('c', { callsAnswered: 4 })], 'fewest-calls'), ['b']);
    assert.deepEqual(picks([agent('c', { callsAnswered: 1 }), agent('b', { callsAnswered: 1 })], 'fewest-calls'), ['b']);
  });

  it('random: the injected number picks among the best level, sorted by id (so any input order gives the same agent)', () => {
    const list = [agent('c'), agent('a'), agent('b'), agent('z', { level: 3 })];
    assert.deepEqual(picks(list, 'random', () => 0), ['a']);
    assert.deepEqual(picks(list, 'random', () => 0.34), ['b']);
    assert.deepEqual(picks(list, 'random', () => 0.999999), ['c']);
    // A misbehaving random function still yields a candidate.
    assert.deepEqual(picks(list, 'random', () => 1), ['c']);
    assert.deepEqual(picks(list, 'random', () => -1), ['a']);
    // Spread: over many draws every agent of the level comes up, the lower level never.
    let seed = 42;
    const lcg = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(pickAgents(list, 'random', lcg)[0]!.id);
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
  });

  it('tier levels apply to every strategy: level 2 only while no level 1 agent is free', () => {
    const list = [
      agent('l2-idle-longest', { level: 2, idleSince: null, talkSeconds: 0, callsAnswered: 0 }),
      agent('l1', { level: 1, idleSince: T(50), talkSeconds: 500, callsAnswered: 50, lastOfferedAt: T(50) }),
    ];
    for (const s of STRATEGIES) assert.deepEqual(ids(pickAgents(list, s, () => 0.99)), ['l1'], s);
    assert.deepEqual(ids(pickAgents([list[0]!], 'longest-idle')), ['l2-idle-longest']);
    assert.deepEqual(ids(bestLevel([agent('x', { level: 3 }), agent('y', { level: 2 }), agent('z', { level: 2 })])), ['y', 'z']);
  });

  it('does not change the candidates it is given', () => {
    const list = Object.freeze([agent('b'), agent('a')]);
    for (const s of STRATEGIES) pickAgents(list, s);
    assert.deepEqual(ids(list), ['b', 'a']);
  });
});
