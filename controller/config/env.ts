// The environment half of the configuration: secrets, the config file path, logging, and a few
// port overrides. This module and load.ts are the only readers of process.env in the project,
// and only as a default argument: callers (tests) pass their own `env`.
import type { ConfigIssue } from './config-error.js';
import { ConfigError } from './config-error.js';
import { AGENT_PIN_ENV_PREFIX, Secrets } from './secrets.js';

export type Env = Readonly<Record<string, string | undefined>>;

export const NODE_ENVS = ['production', 'development', 'test'] as const;
export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

export type NodeEnv = (typeof NODE_ENVS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Secrets a process cannot start without; each names the env var that must be set. */
export type EnvNeed = 'database' | 'redis';

/** What the environment says, parsed and checked. */
export interface EnvConfig {
  readonly nodeEnv: NodeEnv;
  readonly log: { readonly level: LogLevel; /** undefined: pretty on a terminal, JSON otherwise */ readonly format: LogFormat | undefined };
  /** QCB_CONFIG: path of the YAML file. */
  readonly configPath: string | undefined;
  /** Port overrides (QCB_CONTROLLER_PORT, QCB_CONTROLLER_HTTP_PORT, QCB_WORKER_HTTP_PORT); 0 = any free port. */
  readonly ports: {
    readonly controller: number | undefined;
    readonly controllerHttp: number | undefined;
    readonly workerHttp: number | undefined;
    readonly adminHttp: number | undefined;
  };
  readonly secrets: Secrets;
}

/** Reads a variable; an empty value counts as unset (`FOO=` in a compose file). */
function read(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], issues: ConfigIssue[]): T | undefined {
  const v = read(env, name);
  if (v === undefined) return undefined;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  issues.push({ path: `env.${name}`, message: `expected one of: ${allowed.join(', ')}` });
  return undefined;
}

// Strict digits: "0" is 0 (any free port), "", " 80", "8e3" and "80abc" are errors, never a default.
function portVar(env: Env, name: string, issues: ConfigIssue[]): number | undefined {
  const v = read(env, name);
  if (v === undefined) return undefined;
  const n = /^[0-9]{1,5}$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n <= 65535) return n;
  issues.push({ path: `env.${name}`, message: 'expected a port number (0-65535)' });
  return undefined;
}

// The value is a secret: messages say what is wrong with it, never what it is.
function urlVar(env: Env, name: string, protocols: readonly string[], issues: ConfigIssue[]): string | undefined {
  const v = read(env, name);
  if (v === undefined) return undefined;
  let protocol: string;
  try {
    protocol = new URL(v).protocol;
  } catch {
    issues.push({ path: `env.${name}`, message: `not a valid URL (expected ${protocols.map((p) => `${p}//…`).join(' or ')})` });
    return undefined;
  }
  if (!protocols.includes(protocol)) {
    issues.push({ path: `env.${name}`, message: `expected a ${protocols.map((p) => `${p}//`).join(' or ')} URL` });
    return undefined;
  }
  return v;
}

/**
 * QCB_API_TOKEN: the admin API's bearer token. Short tokens are refused (a guessable token on a
 * service that makes phones ring is worse than none, which at least keeps it on loopback).
 */
function apiToken(env: Env, issues: ConfigIssue[]): string | undefined {
  const v = read(env, 'QCB_API_TOKEN');
  if (v === undefined) return undefined;
  if (v.length < 16 || /\s/.test(v)) {
    issues.push({ path: 'env.QCB_API_TOKEN', message: 'expected at least 16 characters without spaces (e.g. `openssl rand -hex 24`)' });
    return undefined;
  }
  return v;
}

/**
 * QCB_AGENT_PIN_<ID>: the agents' feature-code PINs, 4-12 digits (what a phone keypad types and
 * play_and_get_digits collects). The message says what is wrong, never the value.
 */
function agentPins(env: Env, issues: ConfigIssue[]): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const name of Object.keys(env)) {
    const v = read(env, name);
    if (!name.startsWith(AGENT_PIN_ENV_PREFIX) || v === undefined) continue;
    if (/^[0-9]{4,12}$/.test(v)) pins[name] = v;
    else issues.push({ path: `env.${name}`, message: 'expected a PIN of 4-12 digits' });
  }
  return pins;
}

/** Parses the environment, collecting every problem instead of stopping at the first. */
export function parseEnv(env: Env, need: readonly EnvNeed[] = []): { value: EnvConfig; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const databaseUrl = urlVar(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], issues);
  const redisUrl = urlVar(env, 'REDIS_URL', ['redis:', 'rediss:'], issues);
  if (need.includes('database') && read(env, 'DATABASE_URL') === undefined) {
    issues.push({ path: 'env.DATABASE_URL', message: 'required (postgres://user@host:5432/db)' });
  }
  if (need.includes('redis') && read(env, 'REDIS_URL') === undefined) {
    issues.push({ path: 'env.REDIS_URL', message: 'required (redis://host:6379)' });
  }
  const eslPasswordsByEnv: Record<string, string> = {};
  for (const name of Object.keys(env)) {
    const v = read(env, name);
    if (name.startsWith('ESL_PASSWORD_') && v !== undefined) eslPasswordsByEnv[name] = v;
  }
  const value: EnvConfig = {
    nodeEnv: oneOf(env, 'NODE_ENV', NODE_ENVS, issues) ?? 'development',
    log: {
      level: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, issues) ?? 'info',
      format: oneOf(env, 'LOG_FORMAT', LOG_FORMATS, issues),
    },
    configPath: read(env, 'QCB_CONFIG'),
    ports: {
      controller: portVar(env, 'QCB_CONTROLLER_PORT', issues),
      controllerHttp: portVar(env, 'QCB_CONTROLLER_HTTP_PORT', issues),
      workerHttp: portVar(env, 'QCB_WORKER_HTTP_PORT', issues),
      adminHttp: portVar(env, 'QCB_ADMIN_HTTP_PORT', issues),
    },
    secrets: new Secrets({
      databaseUrl, redisUrl, eslPassword: read(env, 'ESL_PASSWORD'), eslPasswordsByEnv, apiToken: apiToken(env, issues),
      agentPinsByEnv: agentPins(env, issues),
    }),
  };
  return { value, issues };
}

/**
 * Parses the environment alone (for commands that need no config file, like `qcb migrate`).
 * Throws ConfigError listing every problem.
 */
export function loadEnv(env: Env = process.env, need: readonly EnvNeed[] = []): EnvConfig {
  const { value, issues } = parseEnv(env, need);
  if (issues.length > 0) throw new ConfigError(issues, 'environment');
  return Object.freeze({ ...value, log: Object.freeze(value.log), ports: Object.freeze(value.ports) });
}
