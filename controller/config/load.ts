// Loads the configuration once at start: environment + one YAML file → a frozen Config, or a
// ConfigError listing every problem (env, YAML syntax, schema, secrets, cross-checks) with its
// path and line.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { crossCheck } from './cross-checks.js';
import { parseEnv, type Env, type EnvNeed } from './env.js';
import { fileSchema, type FileInput } from './file-schema.js';
import { configErrorMap, fromZodIssues, parsePath } from './issues.js';
import { deepFreeze, resolveConfig } from './resolve.js';
import { agentPinEnvName, eslPasswordEnvName, findSecretsInFile, type Secrets } from './secrets.js';
import type { Config } from './types.js';

/**
 * Secrets a process needs; `esl` means a password for every FreeSWITCH node, `agentPins` a PIN
 * for every agent with `pinRequired: true` (the controller, which answers the feature codes).
 */
export type ConfigNeed = EnvNeed | 'esl' | 'agentPins';

export interface LoadConfigOptions {
  /** Environment to read; default process.env. */
  env?: Env;
  /** YAML file path; default env QCB_CONFIG. */
  file?: string;
  /** YAML text instead of a file (tests, `config check -`). */
  text?: string;
  /** Secrets that must be present; missing ones are reported with the others. */
  need?: readonly ConfigNeed[];
}

const isEnvNeed = (n: ConfigNeed): n is EnvNeed => n === 'database' || n === 'redis';

/** Line (1-based) of the deepest YAML node along `path`, if the path points into the file. */
function lineOf(doc: Document, lines: LineCounter, path: string): number | undefined {
  const segs = parsePath(path);
  for (let n = segs.length; n > 0; n--) {
    const node = doc.getIn(segs.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && Array.isArray(node.range)) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/**
 * The agents' PINs against the file: with `required`, every agent with pinRequired must have
 * its QCB_AGENT_PIN_<ID>; always, a PIN variable no such agent reads is an error (a typo in the
 * name, or a PIN the operator believes protects an agent whose codes never ask for it).
 */
function agentPinIssues(agents: FileInput['agents'], secrets: Secrets, required: boolean): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const read = new Set<string>();
  agents.forEach((a, i) => {
    if (!a.pinRequired) return;
    read.add(agentPinEnvName(a.id));
    if (required && secrets.agentPin(a.id) === undefined) {
      issues.push({ path: `agents[${i}].pinRequired`, message: `no PIN for agent "${a.id}": set ${agentPinEnvName(a.id)} in the environment` });
    }
  });
  for (const name of secrets.agentPinEnvNames) {
    if (!read.has(name)) issues.push({ path: `env.${name}`, message: 'set, but no agent with pinRequired: true reads it (agent ids map to QCB_AGENT_PIN_<ID>, upper-cased, other characters as "_")' });
  }
  return issues;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\0${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Parses YAML text against the environment. Throws ConfigError with every issue found.
 * `source` names the text in messages (a file path).
 */
export function parseConfig(text: string, env: Env, need: readonly ConfigNeed[] = [], source?: string): Config {
  const parsedEnv = parseEnv(env, need.filter(isEnvNeed));
  const issues: ConfigIssue[] = [...parsedEnv.issues];

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      // The pretty message repeats the position and a snippet; the line goes in its own field.
      const first = (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:$/, '');
      issues.push({ path: 'file', message: `YAML syntax: ${first}`, line: e.linePos?.[0].line });
    }
    throw new ConfigError(issues, source);
  }
  const raw: unknown = doc.toJS() ?? {};

  const secretIssues = findSecretsInFile(raw);
  const fileIssues: ConfigIssue[] = [...secretIssues];
  const parsed = fileSchema.safeParse(raw, { error: configErrorMap });
  if (!parsed.success) fileIssues.push(...fromZodIssues(parsed.error.issues, new Set(secretIssues.map((i) => i.path))));
  fileIssues.push(...crossCheck(raw));
  // Environment first, then the file's issues in file order (stable sort: same line keeps order).
  const located = fileIssues.map((i) => ({ ...i, line: lineOf(doc, lines, i.path) }));
  located.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  issues.push(...located);

  if (parsed.success && need.includes('esl')) {
    for (const node of parsed.data.freeswitch.nodes) {
      if (parsedEnv.value.secrets.eslPassword(node.name) === undefined) {
        issues.push({ path: 'env.ESL_PASSWORD', message: `required for node "${node.name}" (or set its own ${eslPasswordEnvName(node.name)})` });
      }
    }
  }
  if (parsed.success) {
    const pinIssues = agentPinIssues(parsed.data.agents, parsedEnv.value.secrets, need.includes('agentPins'));
    issues.push(...pinIssues.map((i) => ({ ...i, line: i.path.startsWith('env.') ? undefined : lineOf(doc, lines, i.path) })));
  }
  if (issues.length > 0 || !parsed.success) throw new ConfigError(dedupe(issues), source);
  return deepFreeze(resolveConfig(parsed.data, parsedEnv.value, source));
}

/**
 * Loads the configuration: `options.text`, else the file at `options.file`, else the file
 * named by QCB_CONFIG. Returns a deeply frozen Config; throws ConfigError.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const need = options.need ?? [];
  if (options.text !== undefined) return parseConfig(options.text, env, need);
  const parsedEnv = parseEnv(env, need.filter(isEnvNeed));
  const path = options.file ?? parsedEnv.value.configPath;
  if (path === undefined) {
    throw new ConfigError([{ path: 'env.QCB_CONFIG', message: 'required: the path of the YAML config file' }, ...parsedEnv.issues]);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError([{ path: 'file', message: `cannot read ${path}: ${reason}` }, ...parsedEnv.issues], path);
  }
  return parseConfig(text, env, need, path);
}
