// Turns zod issues into ConfigIssues an operator can read: `queues[1].callback.mode: expected
// one of: off, after_timeout, on_request, both`. Field-specific wording lives on the fields
// (fields.ts); this file words the generic cases: a missing key, a wrong type, an unknown key.
import type { z } from 'zod';
import type { ConfigIssue } from './config-error.js';

export type PathSegment = string | number;

/** Formats a path as written in the docs: `queues[1].callback.offerAfterSeconds`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || '(top level)';
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  null: 'null',
};

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/**
 * Per-parse error map: the wording for issues whose schema set no message of its own. Field
 * messages (fields.ts) win over this; zod's English defaults are the fallback.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'required';
      const want = TYPE_WORDS[issue.expected] ?? issue.expected;
      // YAML turns 0800 into the number 800: tell the operator how to keep the zeros.
      if (issue.expected === 'string' && typeof issue.input === 'number') {
        return `expected ${want}, got ${describe(issue.input)}; quote it (unquoted, YAML reads it as a number and drops leading zeros)`;
      }
      return `expected ${want}, got ${describe(issue.input)}`;
    }
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of: ${issue.values.map(String).join(', ')}`}`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (Array.isArray(options)) return `expected one of: ${options.map(String).join(', ')}`;
      return undefined;
    }
    case 'invalid_key':
      return `invalid key: ${issue.issues[0]?.message ?? 'not allowed here'}`;
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `expected at least ${String(issue.minimum)} item(s)`;
      return `expected at least ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'string') return `at most ${String(issue.maximum)} characters`;
      if (issue.origin === 'array') return `at most ${String(issue.maximum)} item(s)`;
      return `expected at most ${String(issue.maximum)}`;
    default:
      return undefined;
  }
};

/**
 * Converts zod issues to ConfigIssues. Unknown keys become one issue each, pointing at the key
 * itself; `skip` drops issues at paths already reported (a secret key is reported as a secret,
 * not also as an unknown key).
 */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], skip: ReadonlySet<string> = new Set()): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p === 'string' || typeof p === 'number');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const keyPath = formatPath([...path, key]);
        if (!skip.has(keyPath)) out.push({ path: keyPath, message: 'unknown key' });
      }
      continue;
    }
    const at = formatPath(path);
    if (!skip.has(at)) out.push({ path: at, message: issue.message });
  }
  return out;
}

/** Parses `queues[1].callback` back into segments (for line lookup). */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([A-Za-z_][A-Za-z0-9_]*)/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(JSON.parse(`"${m[2]}"`) as string);
    else if (m[3] !== undefined) out.push(m[3]);
  }
  return out;
}
