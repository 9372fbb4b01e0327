// The configuration every part of the program reads: resolved (all defaults filled in,
// cross-references checked) and deeply frozen. Written out by hand, not inferred from the zod
// schema, so it reads as documentation and the schema can change shape without the readers
// noticing. README.md "Configuration" describes each key.
import type { LogFormat, LogLevel, NodeEnv } from './env.js';
import type { CALLBACK_MODES, OFFER_PROMPTS, STRATEGIES } from './queue-schema.js';
import type { LANGUAGES } from './fields.js';
import type { Secrets } from './secrets.js';
import type { Weekday } from '../queue/opening-hours.js';

export type Language = (typeof LANGUAGES)[number];
export type Strategy = (typeof STRATEGIES)[number];
export type CallbackMode = (typeof CALLBACK_MODES)[number];
export type OfferPrompt = (typeof OFFER_PROMPTS)[number];

export interface HostPort {
  readonly host: string;
  /** 0 = any free port (tests). */
  readonly port: number;
}

export interface FreeswitchNode {
  readonly name: string;
  readonly host: string;
  readonly eslPort: number;
  /** The env var consulted first for this node's ESL password (then ESL_PASSWORD). */
  readonly eslPasswordEnv: string;
  /**
   * Sessions our originates may create on this node per second, all workers together (a
   * loopback leg is two): under FreeSWITCH's own sessions-per-second (issue 8d).
   */
  readonly originateSessionsPerSecond: number;
}

export interface RetryPolicy {
  /** Total tries for one callback, the first included. */
  readonly attempts: number;
  /** Delay before retry n is `delaysSeconds[min(n-1, length-1)]`: the last one repeats. */
  readonly delaysSeconds: readonly number[];
}

export interface NumberRules {
  readonly minLength: number;
  readonly maxLength: number;
  /** Regex sources; a number must match one of them in full (they are anchored at use). */
  readonly allow: readonly string[];
  readonly blockedPrefixes: readonly string[];
}

export interface CallbackConfig {
  readonly mode: CallbackMode;
  readonly offerAfterSeconds: number;
  readonly offerKey: string;
  readonly reofferAfterCancel: boolean;
  readonly readBack: boolean;
  readonly offerPrompt: OfferPrompt;
  /** Caller ID number on the customer leg; null leaves it to the gateway. */
  readonly callerIdNumber: string | null;
  readonly callerIdName: string;
  /** Customer dial string with `{number}`; null only when mode is `off`. */
  readonly dialTemplate: string | null;
  readonly numberRules: NumberRules;
  readonly retry: RetryPolicy;
  readonly expiryMinutes: number;
  /** After `*`, say roughly when the call back comes when it is this many minutes away or more; 0: never. */
  readonly announceEstimateFromMinutes: number;
  readonly menuTimeoutSeconds: number;
  readonly menuMaxTries: number;
  readonly entryMaxTries: number;
  /** How long the customer's phone rings (originate_timeout of the customer leg), agent already on the line. */
  readonly customerRingTimeoutSeconds: number;
  /** Ask the customer to press a key before the bridge (a voicemail is not a completed callback). */
  readonly confirmCustomer: CustomerConfirm;
}

export interface CustomerConfirm {
  readonly enabled: boolean;
  /** Per try: seconds after the prompt to press the key. */
  readonly timeoutSeconds: number;
  /** The key that connects: 0-9, * or #. */
  readonly key: string;
  /** Times the prompt is played before the customer counts as not having answered. */
  readonly tries: number;
}

export type OverflowTarget =
  | { readonly action: 'queue'; readonly queue: string }
  | { readonly action: 'transfer'; readonly extension: string; readonly dialplan: 'XML'; readonly context: string }
  | { readonly action: 'hangup' };

/** What a caller arriving while the queue is closed gets (`hours.whenClosed`). */
export type ClosedAction =
  | { readonly action: 'callback' }
  | { readonly action: 'transfer'; readonly extension: string; readonly dialplan: 'XML'; readonly context: string }
  | { readonly action: 'hangup' };

/** A queue's opening hours (queue/opening-hours.ts reads the schedule part). */
export interface OpeningHoursConfig {
  /** IANA zone the times are in. */
  readonly timeZone: string;
  /** `"HH:MM-HH:MM"` ranges per weekday; an empty day is closed. */
  readonly weekly: Readonly<Record<Weekday, readonly string[]>>;
  /** Local dates `YYYY-MM-DD`, closed all day. */
  readonly holidays: readonly string[];
  /** Local date-times `YYYY-MM-DDTHH:MM`, closed from `from` to `to`. */
  readonly closures: readonly { readonly from: string; readonly to: string }[];
  readonly whenClosed: ClosedAction;
  /** No callback is started this close to a closing. */
  readonly lastCallbackMinutesBeforeClose: number;
}

export interface QueueConfig {
  readonly name: string;
  readonly extension: string;
  readonly displayName: string;
  readonly language: Language;
  readonly strategy: Strategy;
  /** Prompt name or file/stream; null plays no greeting. */
  readonly greeting: string | null;
  readonly holdMusic: string;
  readonly agentRingTimeoutSeconds: number;
  readonly wrapUpSeconds: number;
  /** null: no limit (and then `overflow` is null too). */
  readonly maxWaitSeconds: number | null;
  readonly overflow: OverflowTarget | null;
  readonly callback: CallbackConfig;
  readonly announce: {
    /** null: position is not announced. */
    readonly positionEverySeconds: number | null;
    readonly estimatedWait: boolean;
  };
  /** Prompt name → file, overriding the language set for this queue. */
  readonly prompts: Readonly<Record<string, string>>;
  /** null: always open. */
  readonly hours: OpeningHoursConfig | null;
}

export interface Tier {
  readonly queue: string;
  readonly level: number;
  readonly position: number;
}

export interface AgentConfig {
  readonly id: string;
  readonly name: string;
  readonly contact: string;
  readonly tiers: readonly Tier[];
  /** null: the queue's wrapUpSeconds. */
  readonly wrapUpSeconds: number | null;
  /** null: the queue's agentRingTimeoutSeconds. */
  readonly ringTimeoutSeconds: number | null;
  /** No-answers in a row before the agent is put on break; 0 = never. */
  readonly maxNoAnswer: number;
  readonly busyDelaySeconds: number;
  readonly rejectDelaySeconds: number;
  readonly noAnswerDelaySeconds: number;
  /** The agent's phone (directory user or caller ID) for the feature codes; null: none. */
  readonly extension: string | null;
  /** Feature codes ask for the PIN in `pinEnv` first. */
  readonly pinRequired: boolean;
  /** The env var holding this agent's PIN: `QCB_AGENT_PIN_<ID>` (secrets.ts). */
  readonly pinEnv: string;
  /** Language of the feature codes' prompts. */
  readonly language: Language;
}

/** The admin service (`qcb run admin`): HTTP API, supervisor page, floor metrics. */
export interface AdminConfig {
  readonly http: HostPort;
  /** IANA zone of "today" on the supervisor page. */
  readonly timeZone: string;
  readonly rateLimit: { readonly callbackRequestsPerClientPerMinute: number; readonly callbackRequestsPerNumberPerHour: number };
  readonly trustProxy: boolean;
}

/** The whole configuration, as handed out by loadConfig(). */
export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly log: { readonly level: LogLevel; readonly format: LogFormat | undefined };
  /** The YAML file this was read from (undefined when parsed from text). */
  readonly configPath: string | undefined;
  readonly secrets: Secrets;
  readonly freeswitch: { readonly nodes: readonly FreeswitchNode[]; readonly defaultNode: string };
  readonly controller: { readonly listen: HostPort; readonly http: HostPort; readonly drainTimeoutSeconds: number };
  readonly worker: {
    readonly concurrency: number;
    /** The worker's Postgres pool size; undefined: concurrency + 4, at least 10. */
    readonly databaseConnections?: number;
    readonly reconcileIntervalSeconds: number;
    readonly http: HostPort;
  };
  readonly admin: AdminConfig;
  readonly prompts: { readonly directory: string; readonly defaultLanguage: Language };
  readonly retry: RetryPolicy & { readonly expiryMinutes: number };
  readonly queues: readonly QueueConfig[];
  readonly agents: readonly AgentConfig[];
}
