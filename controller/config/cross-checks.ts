// Checks that span several keys: unique names, references between queues, agents and nodes,
// overflow cycles, keys required by another key's value. They read the raw YAML defensively
// (not the zod output) so they run even when the schema found problems elsewhere: the
// operator gets every error in one pass.
import type { ConfigIssue } from './config-error.js';
import { agentPinEnvName, eslPasswordEnvName } from './secrets.js';

type Raw = Record<string, unknown>;

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const rec = (v: unknown): Raw => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Reports values seen twice in a list (`what` names them in the message). */
function unique(items: unknown[], key: string, prefix: string, what: string, issues: ConfigIssue[], map = (s: string) => s): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const value = str(rec(item)[key]);
    if (value === undefined) return;
    const k = map(value);
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else issues.push({ path: `${prefix}[${i}].${key}`, message: `duplicate ${what} "${value}" (also ${prefix}[${first}])` });
  });
}

function checkNodes(raw: Raw, issues: ConfigIssue[]): void {
  const fs = rec(raw.freeswitch);
  const nodes = list(fs.nodes);
  unique(nodes, 'name', 'freeswitch.nodes', 'node name', issues);
  // fs-1 and fs_1 would read the same ESL_PASSWORD_FS_1.
  const byEnv = new Map<string, string>();
  nodes.forEach((n, i) => {
    const name = str(rec(n).name);
    if (name === undefined) return;
    const env = eslPasswordEnvName(name);
    const other = byEnv.get(env);
    if (other !== undefined && other !== name) {
      issues.push({ path: `freeswitch.nodes[${i}].name`, message: `nodes "${other}" and "${name}" would share the env var ${env}; rename one` });
    }
    byEnv.set(env, name);
  });
  const def = str(fs.defaultNode);
  if (def !== undefined && nodes.length > 0 && !nodes.some((n) => rec(n).name === def)) {
    issues.push({ path: 'freeswitch.defaultNode', message: `no node named "${def}" in freeswitch.nodes` });
  }
}

function checkQueue(q: Raw, i: number, names: Set<string>, issues: ConfigIssue[]): void {
  const at = `queues[${i}]`;
  const maxWait = q.maxWaitSeconds;
  const overflow = q.overflow;
  const hasMaxWait = maxWait !== undefined && maxWait !== null;
  const hasOverflow = overflow !== undefined && overflow !== null;
  if (hasMaxWait && !hasOverflow) {
    issues.push({ path: `${at}.overflow`, message: 'required when maxWaitSeconds is set (where do callers go when the wait runs out?)' });
  }
  if (hasOverflow && !hasMaxWait) {
    issues.push({ path: `${at}.maxWaitSeconds`, message: 'required when overflow is set (overflow happens after maxWaitSeconds)' });
  }
  const o = rec(overflow);
  const target = str(o.queue);
  if (o.action === 'queue' && target !== undefined) {
    if (target === q.name) issues.push({ path: `${at}.overflow.queue`, message: 'a queue cannot overflow to itself' });
    else if (!names.has(target)) issues.push({ path: `${at}.overflow.queue`, message: `no queue named "${target}"` });
  }
  const cb = rec(q.callback);
  const mode = cb.mode ?? 'off';
  if (mode !== 'off' && cb.dialTemplate === undefined) {
    issues.push({ path: `${at}.callback.dialTemplate`, message: `required when callback mode is "${String(mode)}" (e.g. "sofia/gateway/pstn/{number}")` });
  }
  if (rec(rec(q.hours).whenClosed).action === 'callback' && mode === 'off') {
    issues.push({ path: `${at}.hours.whenClosed.action`, message: 'the queue takes no callbacks (callback.mode is "off"): use transfer or hangup, or turn callbacks on' });
  }
  const rules = rec(cb.numberRules);
  if (typeof rules.minLength === 'number' && typeof rules.maxLength === 'number' && rules.minLength > rules.maxLength) {
    issues.push({ path: `${at}.callback.numberRules.maxLength`, message: `must be at least minLength (${rules.minLength})` });
  }
}

/** Overflow chains that loop (a → b → a). Each cycle is reported once, at its first queue. */
function checkOverflowCycles(queues: Raw[], issues: ConfigIssue[]): void {
  const next = new Map<string, string>();
  const index = new Map<string, number>();
  queues.forEach((q, i) => {
    const name = str(q.name);
    const o = rec(q.overflow);
    if (name === undefined || index.has(name)) return;
    index.set(name, i);
    if (o.action === 'queue' && typeof o.queue === 'string' && o.queue !== name) next.set(name, o.queue);
  });
  for (const [start, i] of index) {
    const path = [start];
    let cur = next.get(start);
    while (cur !== undefined && !path.includes(cur)) {
      path.push(cur);
      cur = next.get(cur);
    }
    if (cur !== start) continue;
    const members = path.map((n) => index.get(n) ?? Infinity);
    if (Math.min(...members) !== i) continue;
    issues.push({ path: `queues[${i}].overflow.queue`, message: `overflow cycle: ${[...path, start].join(' → ')}` });
  }
}

function checkAgents(raw: Raw, names: Set<string>, issues: ConfigIssue[]): void {
  const agents = list(raw.agents);
  unique(agents, 'id', 'agents', 'agent id', issues);
  // One phone, one agent: a feature code from it must name a single agent.
  unique(agents, 'extension', 'agents', 'agent extension', issues);
  // ann-2 and ann_2 would read the same QCB_AGENT_PIN_ANN_2.
  const byPinEnv = new Map<string, string>();
  agents.forEach((a, i) => {
    const id = str(rec(a).id);
    if (id === undefined || rec(a).pinRequired !== true) return;
    const env = agentPinEnvName(id);
    const other = byPinEnv.get(env);
    if (other !== undefined && other !== id) {
      issues.push({ path: `agents[${i}].id`, message: `agents "${other}" and "${id}" would share the PIN variable ${env}; rename one` });
    }
    byPinEnv.set(env, id);
  });
  agents.forEach((a, i) => {
    const tiers = list(rec(a).tiers);
    unique(tiers, 'queue', `agents[${i}].tiers`, 'tier for queue', issues);
    tiers.forEach((t, j) => {
      const queue = str(rec(t).queue);
      if (queue !== undefined && !names.has(queue)) {
        issues.push({ path: `agents[${i}].tiers[${j}].queue`, message: `no queue named "${queue}"` });
      }
    });
  });
}

/** Runs every cross-key check on the raw parsed YAML. */
export function crossCheck(input: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const raw = rec(input);
  const queues = list(raw.queues).map(rec);
  const names = new Set(queues.map((q) => str(q.name)).filter((n): n is string => n !== undefined));
  checkNodes(raw, issues);
  unique(queues, 'name', 'queues', 'queue name', issues);
  unique(queues, 'extension', 'queues', 'extension', issues);
  queues.forEach((q, i) => checkQueue(q, i, names, issues));
  checkOverflowCycles(queues, issues);
  checkAgents(raw, names, issues);
  return issues;
}
