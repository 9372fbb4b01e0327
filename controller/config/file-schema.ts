// Schema of the YAML configuration file, with its defaults. Objects are strict: an unknown key
// is an error, because a misspelt key silently falling back to its default is the worst kind
// of config bug. Secrets are not part of this schema at all (they come from the environment).
import { z } from 'zod';
import {
  absolutePath, dialString, extension, host, identifier, label, language, nonNegativeInt, port, positiveInt,
} from './fields.js';
import { queueSchema, retryDelays } from './queue-schema.js';

const hostPort = (defaultHost: string, defaultPort: number) =>
  z.strictObject({ host: host().default(defaultHost), port: port().default(defaultPort) });

/**
 * Sessions our originates may create on a node per second, all workers together. FreeSWITCH
 * refuses sessions beyond its `sessions-per-second` (30 in the stock switch.conf.xml), callers
 * arriving included; 15 leaves it room for them (issue 8d).
 */
export const DEFAULT_ORIGINATE_SESSIONS_PER_SECOND = 15;

const node = z.strictObject({
  name: identifier(),
  host: host(),
  eslPort: port().min(1, { error: 'expected a port number (1-65535)' }).default(8021),
  originateSessionsPerSecond: positiveInt().max(10_000).default(DEFAULT_ORIGINATE_SESSIONS_PER_SECOND),
});

const DEFAULT_NODES = [{ name: 'fs1', host: '127.0.0.1', eslPort: 8021, originateSessionsPerSecond: DEFAULT_ORIGINATE_SESSIONS_PER_SECOND }];

const freeswitch = z.strictObject({
  nodes: z.array(node).min(1, { error: 'expected at least one FreeSWITCH node' }).default(DEFAULT_NODES),
  // Defaults to the first node (resolve.ts); must name one of `nodes` (cross-checks.ts).
  defaultNode: identifier().optional(),
});

const controller = z.strictObject({
  // 127.0.0.1 by default: whoever reaches the outbound-socket port can pose as FreeSWITCH, so
  // opening it to the network is a deliberate act (docker-compose sets 0.0.0.0).
  listen: hostPort('127.0.0.1', 8084).prefault({}),
  http: hostPort('127.0.0.1', 8085).prefault({}),
  drainTimeoutSeconds: nonNegativeInt().default(300),
});

const worker = z.strictObject({
  concurrency: positiveInt().default(10),
  // The worker's Postgres pool; unset: concurrency + 4, at least 10 (worker.ts workerPoolSize).
  // Several workers on one Postgres must fit under its max_connections (README, `worker`).
  databaseConnections: positiveInt().max(1000).optional(),
  reconcileIntervalSeconds: positiveInt().default(30),
  http: hostPort('127.0.0.1', 8086).prefault({}),
});

const admin = z.strictObject({
  // /api/v1, the supervisor page, /health, /metrics. Beyond loopback only with QCB_API_TOKEN set
  // (ops/run-admin.ts refuses to start otherwise).
  http: hostPort('127.0.0.1', 8087).prefault({}),
  // "Today" on the supervisor page's chart; default: the process's own zone (TZ).
  timeZone: z.string().min(1).max(64).refine((tz) => { try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true; } catch { return false; } },
    { error: 'expected an IANA time zone name, like Europe/Kyiv' }).optional(),
  // Callback requests through the API, per client address and per number (a form on a public
  // web site is a way to make us dial someone: the per-number limit is the harassment guard).
  rateLimit: z.strictObject({
    callbackRequestsPerClientPerMinute: positiveInt().max(100_000).default(30),
    callbackRequestsPerNumberPerHour: positiveInt().max(1000).default(3),
  }).prefault({}),
  // Trust X-Forwarded-For for the client address (only behind a proxy that sets it).
  trustProxy: z.boolean().default(false),
});

const prompts = z.strictObject({
  directory: absolutePath().default('/usr/share/freeswitch/sounds/qcb'),
  defaultLanguage: language().default('en'),
});

const retry = z.strictObject({
  attempts: positiveInt().default(3),
  delaySeconds: retryDelays().default(300),
  expiryMinutes: positiveInt().default(240),
});

const tier = z.strictObject({
  queue: identifier(),
  level: positiveInt().default(1),
  position: positiveInt().default(1),
});

const agent = z.strictObject({
  id: identifier(),
  name: label().optional(),
  contact: dialString(),
  tiers: z.array(tier).default([]),
  wrapUpSeconds: nonNegativeInt().nullable().default(null),
  ringTimeoutSeconds: positiveInt().nullable().default(null),
  maxNoAnswer: nonNegativeInt().default(3),
  busyDelaySeconds: nonNegativeInt().default(60),
  rejectDelaySeconds: nonNegativeInt().default(10),
  noAnswerDelaySeconds: nonNegativeInt().default(60),
  // The agent's own phone, for the feature codes (*50 log in …, controller/agentcodes/): the
  // directory user it authenticates as, else its caller ID. Unique (cross-checks.ts).
  extension: extension().optional(),
  // Feature codes ask for a PIN first. The PIN itself is a secret: QCB_AGENT_PIN_<ID> in the
  // environment (secrets.ts), never in this file; a PIN required but not set is an error.
  pinRequired: z.boolean().default(false),
  // The language the feature codes answer in; default prompts.defaultLanguage.
  language: language().optional(),
});

/** The whole YAML file. */
export const fileSchema = z.strictObject({
  freeswitch: freeswitch.prefault({}),
  controller: controller.prefault({}),
  worker: worker.prefault({}),
  admin: admin.prefault({}),
  prompts: prompts.prefault({}),
  retry: retry.prefault({}),
  queues: z.array(queueSchema).min(1, { error: 'expected at least one queue' }),
  agents: z.array(agent).default([]),
});

export type FileInput = z.output<typeof fileSchema>;
export type AgentInput = FileInput['agents'][number];
