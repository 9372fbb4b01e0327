// Field-level validators shared by the config schemas. Each carries one plain message an
// operator can act on; the generic cases (missing key, wrong type, unknown key) are worded in
// issues.ts. Values that end up in dial strings or ESL commands are held to a strict charset
// here (docs/design.md §5 invariant 6): config is trusted input, but a typo must not become an
// injection.
import { z } from 'zod';

/**
 * A type-level message that steps aside when the key is missing, so a missing key still reads
 * "required" (worded in issues.ts) instead of "expected a positive integer".
 */
export const typeMessage = (text: string) => (issue: { input?: unknown }) =>
  (issue.input === undefined ? undefined : text);

/** Integer ≥ 1. */
export const positiveInt = () =>
  z.int({ error: typeMessage('expected a positive integer') }).min(1, { error: 'expected a positive integer' });

/** Integer ≥ 0 (0 is a real value: no wrap-up, no penalty; it is never replaced by a default). */
export const nonNegativeInt = () =>
  z.int({ error: typeMessage('expected an integer ≥ 0') }).min(0, { error: 'expected an integer ≥ 0' });

/** TCP port; 0 lets the OS pick one (tests). */
export const port = () =>
  z.int({ error: typeMessage('expected a port number (0-65535)') })
    .min(0, { error: 'expected a port number (0-65535)' })
    .max(65535, { error: 'expected a port number (0-65535)' });

/** Host name or IP address to listen on or connect to. */
export const host = () =>
  z.string().regex(/^[A-Za-z0-9._:-]+$/, { error: 'expected a host name or IP address' });

/** Lower-case identifier: queue names, agent ids, node names (used in job ids and metric labels). */
export const identifier = () =>
  z.string()
    .max(64, { error: 'at most 64 characters' })
    .regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'expected lower-case letters, digits, "-" or "_", starting with a letter or digit' });

/** Dialplan extension: digits only, kept as a string so leading zeros survive. */
export const extension = () =>
  z.string().regex(/^[0-9]{1,16}$/, { error: 'expected 1-16 digits, as a quoted string ("8000")' });

/** Dialplan context name (transfer target). */
export const dialplanContext = () =>
  z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected a dialplan context name (letters, digits, "_", ".", "-")' });

/** One DTMF key. */
export const dtmfKey = () =>
  z.string().regex(/^[0-9*#A-D]$/, { error: 'expected one DTMF key: 0-9, *, # or A-D (quote * and #)' });

/** Caller ID number put on callback legs: digits with an optional leading +. */
export const callerIdNumber = () =>
  z.string().regex(/^\+?[0-9]{1,20}$/, { error: 'expected digits with an optional leading "+", as a quoted string' });

/**
 * Caller ID name for callback legs. It lands inside `{origination_caller_id_name=…}`, so the
 * characters FreeSWITCH treats as syntax there (`, } { ' " | ^ $` and control characters) are refused.
 */
export const callerIdName = () =>
  z.string()
    .min(1, { error: 'must not be empty', abort: true })
    .max(80, { error: 'at most 80 characters' })
    .regex(/^[\p{L}\p{N} ._@()-]+$/u, { error: 'expected letters, digits, spaces and . _ @ ( ) - only' });

/** A human-readable label (display names, agent names): any printable text. */
export const label = () =>
  z.string()
    .min(1, { error: 'must not be empty', abort: true })
    .max(120, { error: 'at most 120 characters' })
    .regex(/^[^\p{Cc}]+$/u, { error: 'must not contain control characters (new lines, tabs)' });

/**
 * A FreeSWITCH dial string written by the operator (agent contact). Commas and pipes are
 * legitimate inside `{var=a,b}`, so only control characters are refused: a new line would end
 * the ESL command and start another.
 */
export const dialString = () =>
  z.string()
    .min(1, { error: 'must not be empty', abort: true })
    .max(1024, { error: 'at most 1024 characters' })
    .regex(/^[^\p{Cc}]+$/u, { error: 'must not contain control characters (new lines, tabs)' });

/** Dial template for customers; `{number}` is replaced by the validated callback number. */
export const dialTemplate = () =>
  dialString().refine((s) => s.includes('{number}'), {
    error: 'must contain the placeholder {number} (e.g. "sofia/gateway/pstn/{number}")',
  });

/** A file, stream or prompt name FreeSWITCH plays (`local_stream://moh`, `greeting`, `/x/y.wav`). */
export const media = () =>
  z.string()
    .min(1, { error: 'must not be empty', abort: true })
    .max(1024, { error: 'at most 1024 characters' })
    .regex(/^[^\p{Cc}]+$/u, { error: 'must not contain control characters (new lines, tabs)' });

/** An absolute filesystem path (as FreeSWITCH sees it). */
export const absolutePath = () =>
  z.string().regex(/^\/[^\p{Cc}]*$/u, { error: 'expected an absolute path (starting with "/")' });

/** A regular expression source; checked here so a bad pattern fails at load, not mid-call. */
export const regexSource = () =>
  z.string().min(1, { error: 'must not be empty', abort: true }).superRefine((source, ctx) => {
    try {
      new RegExp(source, 'u');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}` });
    }
  });

/** A number prefix (digits, optionally a leading +), as a string so leading zeros survive. */
export const numberPrefix = () =>
  z.string().regex(/^\+?[0-9]*$/, { error: 'expected a prefix of digits (optionally starting with "+"), as a quoted string' })
    .min(1, { error: 'must not be empty', abort: true });

export const LANGUAGES = ['en', 'uk', 'ru'] as const;
/** Prompt set language. */
export const language = () => z.enum(LANGUAGES, { error: typeMessage(`expected one of: ${LANGUAGES.join(', ')}`) });

/**
 * A dialplan transfer target (`uuid_transfer <uuid> <extension> XML <context>`): the overflow's
 * `transfer` and a closed queue's. The extension's charset keeps it one word of that command.
 */
export const transferTarget = () => z.strictObject({
  action: z.literal('transfer'),
  extension: z.string().regex(/^[A-Za-z0-9_*#+.-]{1,64}$/, {
    error: 'expected a dialplan extension (letters, digits, * # + . _ -), as a quoted string',
  }),
  dialplan: z.literal('XML', { error: 'only the XML dialplan is supported' }).default('XML'),
  context: dialplanContext().default('default'),
});
