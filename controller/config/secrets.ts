// Secrets live in the environment only: the YAML file is meant to be reviewed and committed.
// This file finds secrets that slipped into the file, names the env var to use instead, and
// holds the real ones in an object that never prints them (JSON, util.inspect, logs).
import { inspect } from 'node:util';
import type { ConfigIssue } from './config-error.js';
import { formatPath, type PathSegment } from './issues.js';

/** Env var holding the ESL password of one node: `fs-1` → `ESL_PASSWORD_FS_1`. */
export function eslPasswordEnvName(node: string): string {
  return `ESL_PASSWORD_${node.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The prefix of the agents' PIN variables (feature codes on the agent's phone). */
export const AGENT_PIN_ENV_PREFIX = 'QCB_AGENT_PIN_';

/** Env var holding an agent's feature-code PIN, like ESL_PASSWORD_<NODE>: `ann-2` → `QCB_AGENT_PIN_ANN_2`. */
export function agentPinEnvName(agentId: string): string {
  return `${AGENT_PIN_ENV_PREFIX}${agentId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

// Key names that mean "a secret" whatever the section (compared without case, "_" or "-").
const SECRET_KEYS = new Set([
  'password', 'passwd', 'pass', 'secret', 'token', 'apikey', 'credentials', 'auth',
  'eslpassword', 'databaseurl', 'dburl', 'redisurl', 'dsn', 'connectionstring', 'pin',
]);
// A URL carrying a password: `postgres://user:pw@host/db`.
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^/@\s]+@/i;

function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[_-]/g, '');
  return SECRET_KEYS.has(k) || k.endsWith('password') || k.endsWith('secret') || k.endsWith('token');
}

function hint(path: readonly PathSegment[], key: string, raw: unknown): string {
  const k = key.toLowerCase();
  if (path[0] === 'freeswitch' && path[1] === 'nodes' && typeof path[2] === 'number') {
    const nodes = (raw as { freeswitch?: { nodes?: unknown[] } }).freeswitch?.nodes;
    const name = (nodes?.[path[2]] as { name?: unknown } | undefined)?.name;
    const perNode = typeof name === 'string' ? `${eslPasswordEnvName(name)} or ` : 'ESL_PASSWORD_<NODE> or ';
    return `set ${perNode}ESL_PASSWORD in the environment`;
  }
  if (path[0] === 'agents' && typeof path[1] === 'number' && k === 'pin') {
    const id = ((raw as { agents?: unknown[] }).agents?.[path[1]] as { id?: unknown } | undefined)?.id;
    return `set ${typeof id === 'string' ? agentPinEnvName(id) : `${AGENT_PIN_ENV_PREFIX}<ID>`} in the environment and pinRequired: true here`;
  }
  if (k.includes('database') || k.includes('db') || k.includes('dsn')) return 'set DATABASE_URL in the environment';
  if (k.includes('redis')) return 'set REDIS_URL in the environment';
  if (k.includes('esl')) return 'set ESL_PASSWORD (or ESL_PASSWORD_<NODE>) in the environment';
  return 'pass it through the environment';
}

/**
 * Walks the parsed YAML and reports every secret found in it: keys named like a password or
 * a connection URL, and any value that is a URL with a password in it. The value is never
 * echoed back.
 */
export function findSecretsInFile(raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const walk = (value: unknown, path: PathSegment[]): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...path, i]));
    } else if (value !== null && typeof value === 'object') {
      // Keys of a queue's `prompts` map are prompt names chosen by the operator, not settings.
      const namesAreData = path.length >= 3 && path[path.length - 1] === 'prompts';
      for (const [key, v] of Object.entries(value)) {
        if (!namesAreData && isSecretKey(key)) {
          issues.push({
            path: formatPath([...path, key]),
            message: `secrets are not allowed in the config file; ${hint(path, key, raw)}`,
          });
        } else {
          walk(v, [...path, key]);
        }
      }
    } else if (typeof value === 'string' && URL_WITH_PASSWORD.test(value)) {
      issues.push({
        path: formatPath(path),
        message: 'looks like a URL with a password; secrets are not allowed in the config file, pass them through the environment (DATABASE_URL, REDIS_URL)',
      });
    }
  };
  walk(raw, []);
  return issues;
}

export interface SecretValues {
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  /** ESL_PASSWORD: for every node without its own. */
  eslPassword?: string | undefined;
  /** ESL_PASSWORD_<NODE> values, keyed by env var name. */
  eslPasswordsByEnv?: Readonly<Record<string, string>>;
  /** QCB_API_TOKEN: the admin API's bearer token. */
  apiToken?: string | undefined;
  /** QCB_AGENT_PIN_<ID> values (feature codes), keyed by env var name. */
  agentPinsByEnv?: Readonly<Record<string, string>>;
}

/**
 * The secrets from the environment. Values are read through getters; JSON.stringify and
 * util.inspect show only which ones are set, so logging the config cannot leak them.
 */
export class Secrets {
  readonly #values: SecretValues;

  constructor(values: SecretValues) {
    this.#values = {
      ...values,
      eslPasswordsByEnv: Object.freeze({ ...(values.eslPasswordsByEnv ?? {}) }),
      agentPinsByEnv: Object.freeze({ ...(values.agentPinsByEnv ?? {}) }),
    };
    Object.freeze(this);
  }

  /** DATABASE_URL, when set. */
  get databaseUrl(): string | undefined {
    return this.#values.databaseUrl;
  }

  /** REDIS_URL, when set. */
  get redisUrl(): string | undefined {
    return this.#values.redisUrl;
  }

  /** QCB_API_TOKEN, when set. */
  get apiToken(): string | undefined {
    return this.#values.apiToken;
  }

  /** ESL password of a node: ESL_PASSWORD_<NODE>, else ESL_PASSWORD, else undefined. */
  eslPassword(node: string): string | undefined {
    return this.#values.eslPasswordsByEnv?.[eslPasswordEnvName(node)] ?? this.#values.eslPassword;
  }

  /** An agent's feature-code PIN (QCB_AGENT_PIN_<ID>), when set. */
  agentPin(agentId: string): string | undefined {
    return this.#values.agentPinsByEnv?.[agentPinEnvName(agentId)];
  }

  /** The QCB_AGENT_PIN_* variables that are set (names only). */
  get agentPinEnvNames(): readonly string[] {
    return Object.keys(this.#values.agentPinsByEnv ?? {});
  }

  /** What is set, never the values. */
  toJSON(): Record<string, string> {
    const shown: Record<string, string> = {};
    if (this.#values.databaseUrl !== undefined) shown.databaseUrl = '[redacted]';
    if (this.#values.redisUrl !== undefined) shown.redisUrl = '[redacted]';
    if (this.#values.eslPassword !== undefined) shown.eslPassword = '[redacted]';
    if (this.#values.apiToken !== undefined) shown.apiToken = '[redacted]';
    for (const name of Object.keys(this.#values.eslPasswordsByEnv ?? {})) shown[name] = '[redacted]';
    for (const name of Object.keys(this.#values.agentPinsByEnv ?? {})) shown[name] = '[redacted]';
    return shown;
  }

  [inspect.custom](): string {
    return `Secrets ${JSON.stringify(this.toJSON())}`;
  }
}
