// Schema of one `queues[]` entry of the YAML file, with its defaults. The defaults written here
// are the documented ones (README.md "Configuration"); resolve.ts fills the few that depend on
// other keys (displayName, language, callerIdName, retry, expiry).
import { z } from 'zod';
import { hoursSchema } from './hours-schema.js';
import {
  callerIdName, callerIdNumber, dialTemplate, dtmfKey, extension, identifier,
  label, language, media, nonNegativeInt, numberPrefix, positiveInt, regexSource, transferTarget, typeMessage,
} from './fields.js';

export const STRATEGIES = ['ring-all', 'longest-idle', 'round-robin', 'top-down', 'least-talk-time', 'fewest-calls', 'random'] as const;
export const CALLBACK_MODES = ['off', 'after_timeout', 'on_request', 'both'] as const;
export const OFFER_PROMPTS = ['requested', 'can_order'] as const;

/**
 * Prefixes refused for callback numbers unless a queue overrides the list. A callback is a call
 * we pay for to a number a stranger typed, so the defaults stop the classic toll-fraud routes:
 * - `+`, `00`: international (E.164 "+", and the ITU international prefix used in UA/RU/EU);
 * - `011`: international from North America; `810`: international from Russia/CIS (8-10);
 * - `0900`, `0901`: premium rate (DE, AT, NL, UA and others);
 * - `900`, `1900`, `976`, `1976`: premium rate in North America;
 * - `809`, `8809`: the "809" Caribbean callback scam (NANP) and Russian premium 8-809.
 * Queues that call abroad on purpose set their own `allow` and `blockedPrefixes`.
 */
export const DEFAULT_BLOCKED_PREFIXES: readonly string[] = Object.freeze([
  '+', '00', '011', '810', '0900', '0901', '900', '1900', '976', '1976', '809', '8809',
]);

/** Default allow list: digits only. Patterns must match the whole number (they are anchored). */
export const DEFAULT_ALLOW_PATTERNS: readonly string[] = Object.freeze(['[0-9]+']);

/** A delay in seconds, or a list (the last one repeats for later retries). */
export const retryDelays = () =>
  z.union([nonNegativeInt(), z.array(nonNegativeInt()).min(1, { error: 'expected at least one delay' })], {
    error: typeMessage('expected seconds (an integer ≥ 0) or a list of them'),
  });

const numberRules = z.strictObject({
  minLength: positiveInt().default(5),
  maxLength: positiveInt().default(15),
  allow: z.array(regexSource()).min(1, { error: 'expected at least one pattern' }).default([...DEFAULT_ALLOW_PATTERNS]),
  blockedPrefixes: z.array(numberPrefix()).default([...DEFAULT_BLOCKED_PREFIXES]),
});

const retryOverride = z.strictObject({
  attempts: positiveInt().optional(),
  delaySeconds: retryDelays().optional(),
});

// YAML reads `offerKey: 2` as a number; a key has no leading zeros to lose, so take it.
const offerKey = z.preprocess((v) => (typeof v === 'number' ? String(v) : v), dtmfKey());

// One key the customer presses to take a callback: a digit, * or # (each has a prompt word).
const confirmKey = z.preprocess((v) => (typeof v === 'number' ? String(v) : v),
  z.string().regex(/^[0-9*#]$/, { error: 'expected one key: 0-9, * or # (quote * and #)' }));

/**
 * Confirm a callback with the customer before the bridge (issue 10 item 5): a voicemail that
 * answers is not a completed callback. Off by default; callback-confirm.ts carries it out.
 */
const confirmCustomer = z.strictObject({
  enabled: z.boolean().default(false),
  // Per try: how long after the prompt the customer has to press the key.
  timeoutSeconds: positiveInt().max(60, { error: 'expected at most 60 seconds' }).default(10),
  key: confirmKey.default('1'),
  // How many times the prompt is played when no key (or another key) comes.
  tries: positiveInt().max(5, { error: 'expected at most 5 tries' }).default(2),
});

const callback = z.strictObject({
  mode: z.enum(CALLBACK_MODES, { error: typeMessage(`expected one of: ${CALLBACK_MODES.join(', ')}`) }).default('off'),
  offerAfterSeconds: positiveInt().default(60),
  offerKey: offerKey.default('2'),
  reofferAfterCancel: z.boolean().default(false),
  readBack: z.boolean().default(true),
  offerPrompt: z.enum(OFFER_PROMPTS, { error: typeMessage(`expected one of: ${OFFER_PROMPTS.join(', ')}`) }).default('requested'),
  callerIdNumber: callerIdNumber().nullable().default(null),
  callerIdName: callerIdName().optional(),
  // Required when mode is not off: checked in cross-checks.ts, where the mode is known.
  dialTemplate: dialTemplate().optional(),
  numberRules: numberRules.prefault({}),
  retry: retryOverride.optional(),
  expiryMinutes: positiveInt().optional(),
  // After `*`: when the queue's recent pace says the call back is this many minutes away or
  // more, the caller hears roughly when ("in about 20 minutes"); 0 never says it.
  announceEstimateFromMinutes: nonNegativeInt().max(24 * 60).default(5),
  menuTimeoutSeconds: positiveInt().default(5),
  menuMaxTries: positiveInt().default(3),
  entryMaxTries: positiveInt().default(3),
  // originate_timeout of the call to the customer (the agent is already on the line, hearing
  // the whisper, while it rings).
  customerRingTimeoutSeconds: positiveInt().default(40),
  confirmCustomer: confirmCustomer.prefault({}),
});


/** Where a caller goes when `maxWaitSeconds` runs out. */
const overflow = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('queue'), queue: identifier() }),
  transferTarget(),
  z.strictObject({ action: z.literal('hangup') }),
]);

const announce = z.strictObject({
  positionEverySeconds: z.union([positiveInt(), z.literal('off'), z.literal(false)], {
    error: typeMessage('expected a positive integer or "off"'),
  }).default('off'),
  estimatedWait: z.boolean().default(false),
});

const promptName = z.string().regex(/^[a-z][a-z0-9_-]*$/, { error: 'expected a prompt id from prompts/manifest.json (lower-case letters, digits, "-", "_")' });

/** One queue as written in the YAML file. */
export const queueSchema = z.strictObject({
  name: identifier(),
  extension: extension(),
  displayName: label().optional(),
  language: language().optional(),
  strategy: z.enum(STRATEGIES, { error: typeMessage(`expected one of: ${STRATEGIES.join(', ')}`) }).default('longest-idle'),
  greeting: media().nullable().default('greeting'),
  holdMusic: media().default('local_stream://moh'),
  agentRingTimeoutSeconds: positiveInt().default(20),
  wrapUpSeconds: nonNegativeInt().default(10),
  maxWaitSeconds: positiveInt().nullable().default(null),
  overflow: overflow.nullable().default(null),
  callback: callback.prefault({}),
  announce: announce.prefault({}),
  prompts: z.record(promptName, media()).default({}),
  // Opening hours (hours-schema.ts); none: always open.
  hours: hoursSchema.nullable().default(null),
});

export type QueueInput = z.output<typeof queueSchema>;
