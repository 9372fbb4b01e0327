// From a validated file and environment to the Config handed out: defaults that depend on other
// keys are filled in here (a queue's language, display name, callback caller ID name, retry
// policy and expiry), env overrides are applied, and the result is deeply frozen.
import type { EnvConfig } from './env.js';
import type { AgentInput, FileInput } from './file-schema.js';
import type { QueueInput } from './queue-schema.js';
import { agentPinEnvName, eslPasswordEnvName } from './secrets.js';
import type { AgentConfig, Config, HostPort, QueueConfig, RetryPolicy } from './types.js';

const delays = (d: number | number[]): number[] => (Array.isArray(d) ? [...d] : [d]);

function resolveQueue(q: QueueInput, file: FileInput): QueueConfig {
  const displayName = q.displayName ?? q.name;
  const retry: RetryPolicy = {
    attempts: q.callback.retry?.attempts ?? file.retry.attempts,
    delaysSeconds: delays(q.callback.retry?.delaySeconds ?? file.retry.delaySeconds),
  };
  const { retry: _override, callerIdName, dialTemplate, expiryMinutes, ...callback } = q.callback;
  const position = q.announce.positionEverySeconds;
  return {
    ...q,
    displayName,
    language: q.language ?? file.prompts.defaultLanguage,
    callback: {
      ...callback,
      // Callback legs show the queue's name unless told otherwise; the display name is free
      // text, so it is only used when it passes the caller-ID-name charset.
      callerIdName: callerIdName ?? (/^[\p{L}\p{N} ._@()-]{1,80}$/u.test(displayName) ? displayName : q.name),
      dialTemplate: dialTemplate ?? null,
      retry,
      expiryMinutes: expiryMinutes ?? file.retry.expiryMinutes,
    },
    announce: { ...q.announce, positionEverySeconds: typeof position === 'number' ? position : null },
    hours: q.hours === null ? null : {
      ...q.hours,
      // Closed, a queue that takes callbacks offers one for the opening; one that does not hangs up.
      whenClosed: q.hours.whenClosed ?? (q.callback.mode === 'off' ? { action: 'hangup' } : { action: 'callback' }),
    },
  };
}

function resolveAgent(a: AgentInput, file: FileInput): AgentConfig {
  return {
    ...a,
    name: a.name ?? a.id,
    extension: a.extension ?? null,
    pinEnv: agentPinEnvName(a.id),
    language: a.language ?? file.prompts.defaultLanguage,
  };
}

const withPort = (hp: HostPort, port: number | undefined): HostPort => (port === undefined ? hp : { ...hp, port });

/** Builds the resolved Config (not yet frozen). */
export function resolveConfig(file: FileInput, env: EnvConfig, configPath: string | undefined): Config {
  const firstNode = file.freeswitch.nodes[0];
  return {
    nodeEnv: env.nodeEnv,
    log: env.log,
    configPath,
    secrets: env.secrets,
    freeswitch: {
      nodes: file.freeswitch.nodes.map((n) => ({ ...n, eslPasswordEnv: eslPasswordEnvName(n.name) })),
      // The schema requires at least one node, so firstNode is there.
      defaultNode: file.freeswitch.defaultNode ?? firstNode?.name ?? '',
    },
    controller: {
      ...file.controller,
      listen: withPort(file.controller.listen, env.ports.controller),
      http: withPort(file.controller.http, env.ports.controllerHttp),
    },
    worker: { ...file.worker, http: withPort(file.worker.http, env.ports.workerHttp) },
    admin: {
      ...file.admin,
      http: withPort(file.admin.http, env.ports.adminHttp),
      timeZone: file.admin.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    },
    prompts: file.prompts,
    retry: { attempts: file.retry.attempts, delaysSeconds: delays(file.retry.delaySeconds), expiryMinutes: file.retry.expiryMinutes },
    queues: file.queues.map((q) => resolveQueue(q, file)),
    agents: file.agents.map((a) => resolveAgent(a, file)),
  };
}

/** Freezes an object graph in place (Secrets freezes itself and keeps its fields private). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
