// Public face of the configuration module: load once at start, pass the frozen Config down.
export { ConfigError, formatIssue, type ConfigIssue } from './config-error.js';
export { loadConfig, parseConfig, type ConfigNeed, type LoadConfigOptions } from './load.js';
export { loadEnv, parseEnv, type Env, type EnvConfig, type EnvNeed, type LogFormat, type LogLevel, type NodeEnv } from './env.js';
export { Secrets, eslPasswordEnvName } from './secrets.js';
export { DEFAULT_ALLOW_PATTERNS, DEFAULT_BLOCKED_PREFIXES, STRATEGIES, CALLBACK_MODES, OFFER_PROMPTS } from './queue-schema.js';
export { LANGUAGES } from './fields.js';
export type * from './types.js';
