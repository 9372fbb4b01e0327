// Builds FreeSWITCH dial strings, channel-variable blocks and `originate` api arguments from
// typed parts, validating every part (docs/design.md §5 invariant 6: no dial string, channel variable
// or ESL command is built from unvalidated input). Pure: no IO.
//
// Where the rules come from (signalwire/freeswitch master, read at commit cc93a683):
//
//  A. `api originate <args>` — mod_commands.c originate_function splits its argument with
//     switch_separate_string(mycmd, ' ', …): blanks split arguments unless inside '…', and each
//     argument then goes through cleanup_separated_string(arg, 0) (switch_utils.c), which drops
//     paired single quotes and turns the escapes \' \" \\ \n \r \t \s into characters.
//     An argument that is exactly `undef` becomes NULL (and a NULL extension hits
//     switch_assert(exten): the whole switch aborts).
//  B. switch_ivr_originate (switch_ivr_originate.c):
//     - strstr(bridgeto, ":_:") anywhere in the string turns the call into an enterprise
//       originate (switch_ivr_enterprise_originate), split on ":_:" with no escape;
//     - `<…>` then `{…}` blocks are cut with switch_event_create_brackets (switch_event.c),
//       whose end is found by switch_find_end_paren (switch_utils.c): it counts nested open and
//       close characters and knows neither quotes nor backslashes, so a `}`, `{`, `]`, `[`,
//       `>` or `<` inside a value cannot be escaped;
//     - a block body starting with ^^<c> uses <c> as the separator (switch_event_create_brackets
//       and again switch_separate_string);
//     - the body is split with switch_separate_string(body, ',') — `,` inside paired '…' or
//       written `\,` does not split — and each item with switch_separate_string(item, '=', 2)
//       (first `=` only); both splits run cleanup_separated_string on the pieces, so a value
//       is unquoted/unescaped twice; an item without a value (`a=`) is silently dropped;
//     - after the `{…}` blocks the rest is split on `|` (sequential groups) with
//       switch_separate_string (quotes and `\|` protect, cleanup runs again), each group is
//       pre-scanned so commas inside `[…]` do not split legs (a `,` preceded by `\` is left
//       alone), then split on `,` (simultaneous legs; cleanup runs again), and each leg's
//       `[…]` blocks are parsed like `{…}` with the pre-scan's marker as separator;
//     - values are set on the new channel with switch_channel_set_variable_var_check, which
//       refuses values holding `${` (switch_string_var_check_const) unless
//       origination_nested_vars is on.
//  C. Channel variable expansion (switch_channel.c switch_channel_expand_variables_check):
//     `${name}`, `$${global}` and `${api args}` (runs an API command) are expanded, and a
//     substituted value is expanded again (recur + 1), so a stored value holding `${…}` runs
//     whenever it is interpolated later. Dialplan app arguments (e.g. a `bridge` sent with
//     sendmsg) are expanded before the app runs.
//  D. ESL framing (mod_event_socket.c read_packet): a command is lines ended by CR or LF, up to
//     a blank line; `api`/`bgapi` take the rest of the first line; sendmsg headers are
//     `Name: value` lines. A CR, LF (or NUL, which ends the C string) inside a value would end
//     it and start a new header or command.
//
// Variable values are checked and encoded in channel-vars.ts (its header has the resulting
// encoding); caller ID from the network is cleaned in caller-id.ts.
import { UnsafeDialStringError } from './errors/unsafe-dial-string-error.js';
import { assertSingleLine } from './wire-text.js';
import { ChannelVars, ENT_DELIM, checkControl, checkExpansion, checkSingleLine, fail, type VarsInit } from './channel-vars.js';

export { UnsafeDialStringError, assertSingleLine };

/** A dial string built and checked by {@link dialString}; plain strings are not accepted where this is asked for. */
export type DialString = string & { readonly __brand: 'DialString' };

/** switch_ivr_originate.c MAX_PEERS: at most 128 `|` groups and 128 `,` legs are read. */
const MAX_LEGS = 128;
/** Digits of a callback number: E.164 allows 15, prefixes add a few. */
const NUMBER = /^\+?[0-9]{1,20}$/;
/** Characters allowed in an endpoint (the part after the variable blocks). */
const ENDPOINT_CHARS = /^[A-Za-z0-9_.@:+/=-]+$/;
const ENDPOINT_MAX = 256;
const APP_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const APP_ARG_MAX = 1024;
/** Dialplan extension / dialplan name / context for `originate <dial> <exten> [dp] [context]`. */
const EXTENSION = /^[A-Za-z0-9_+*#.-]{1,64}$/;
const DIALPLAN_OR_CONTEXT = /^[A-Za-z0-9_.-]{1,64}$/;

// ---------------------------------------------------------------------------------------------
// Endpoints, numbers, templates

/**
 * Checks the part of a leg after its variables: `user/1001`, `user/1001@domain`,
 * `sofia/gateway/<gw>/<number>`, `sofia/<profile>/<user>@<host>[:port]`,
 * `loopback/<ext>[/<context>[/<dialplan>]]`. Only `[A-Za-z0-9_.@:+/=-]` is allowed: no blanks
 * (rule A splits on them), `,` `|` (leg separators, rule B), brackets, quotes, `$`, `\`.
 */
export function validateEndpoint(endpoint: unknown, field = 'endpoint'): string {
  if (typeof endpoint !== 'string') fail(field, endpoint, 'endpoint is not a string', 'bad_type');
  if (endpoint.length === 0 || endpoint.length > ENDPOINT_MAX) {
    fail(field, endpoint, `endpoint must be 1-${ENDPOINT_MAX} characters`, 'bad_endpoint');
  }
  checkControl(field, endpoint);
  if (!ENDPOINT_CHARS.test(endpoint)) {
    fail(field, endpoint, 'endpoint may only contain letters, digits and _ . @ : + / = -', 'bad_endpoint');
  }
  if (endpoint.includes(ENT_DELIM)) {
    fail(field, endpoint, 'endpoint contains ":_:" (FreeSWITCH enterprise-originate separator)', 'enterprise_delimiter');
  }
  const parts = endpoint.split('/');
  if (parts.some((p) => p.length === 0)) fail(field, endpoint, 'endpoint has an empty path segment', 'bad_endpoint');
  const [tech] = parts;
  const ok =
    (tech === 'user' && parts.length === 2 && /^[^@]+(@[^@]+)?$/.test(parts[1] ?? '')) ||
    (tech === 'sofia' && parts[1] === 'gateway' && parts.length === 4) ||
    (tech === 'sofia' && parts[1] !== 'gateway' && parts.length >= 3) ||
    (tech === 'loopback' && parts.length >= 2 && parts.length <= 4);
  if (!ok) {
    fail(
      field,
      endpoint,
      'endpoint must be user/<id>[@<domain>], sofia/gateway/<gw>/<number>, sofia/<profile>/<target> or loopback/<ext>[/<context>[/<dialplan>]]',
      'bad_endpoint',
    );
  }
  return endpoint;
}

/** A number to dial: ASCII digits with an optional leading `+`, 1-20 digits. Returns it unchanged. */
export function assertDialableNumber(number: unknown, field = 'number'): string {
  if (typeof number !== 'string') fail(field, number, 'number is not a string', 'bad_type');
  if (!NUMBER.test(number)) fail(field, number, 'expected 1-20 digits with an optional leading "+"', 'bad_number');
  return number;
}

/**
 * Fills a queue's customer dial template (`sofia/gateway/pstn/{number}`) with a callback
 * number. The template must hold `{number}` exactly once and, filled in, be a valid endpoint;
 * the number is re-checked here (defense in depth) even if the caller already did.
 */
export function expandDialTemplate(template: string, number: string, field = 'template'): string {
  if (typeof template !== 'string') fail(field, template, 'template is not a string', 'bad_type');
  const digits = assertDialableNumber(number, 'number');
  const count = template.split('{number}').length - 1;
  if (count !== 1) fail(field, template, 'template must contain {number} exactly once', 'bad_template');
  return validateEndpoint(template.replace('{number}', () => digits), field);
}

// ---------------------------------------------------------------------------------------------
// Dial strings

export interface DialLeg {
  /** Variables for this leg only: rendered as `[…]` before the endpoint. */
  readonly vars?: VarsInit;
  readonly endpoint: string;
}

export interface DialStringSpec {
  /** Variables for every leg: rendered as one `{…}` block at the front. */
  readonly globalVars?: VarsInit;
  readonly legs: readonly DialLeg[];
  /** `simultaneous`: ring all legs at once (`,`); `sequential`: one after another (`|`). */
  readonly mode: 'simultaneous' | 'sequential';
}

/**
 * `{g=1}[a=1]user/1001,[a=2]user/1002` (simultaneous) or `…|…` (sequential). Every variable
 * and endpoint is validated; the result is checked once more as a whole.
 */
export function dialString(spec: DialStringSpec): DialString {
  const { legs, mode } = spec;
  if (mode !== 'simultaneous' && mode !== 'sequential') fail('mode', mode, 'mode must be simultaneous or sequential', 'bad_type');
  if (!Array.isArray(legs) || legs.length === 0) fail('legs', legs, 'at least one leg is needed', 'empty');
  if (legs.length > MAX_LEGS) fail('legs', `${legs.length} legs`, `at most ${MAX_LEGS} legs (FreeSWITCH MAX_PEERS)`, 'too_many');
  const global = spec.globalVars === undefined ? '' : new ChannelVars(spec.globalVars, { fieldPrefix: 'globalVars.' }).toBlock('global');
  const rendered = legs.map((leg, i) => {
    const vars = leg.vars === undefined ? '' : new ChannelVars(leg.vars, { fieldPrefix: `legs[${i}].vars.` }).toBlock('leg');
    return vars + validateEndpoint(leg.endpoint, `legs[${i}].endpoint`);
  });
  const out = global + rendered.join(mode === 'simultaneous' ? ',' : '|');
  // Whole-string checks: the parts were safe, so these can only fire on a bug here.
  checkSingleLine('dial string', out);
  if (out.includes(ENT_DELIM)) fail('dial string', out, 'contains ":_:"', 'enterprise_delimiter');
  if (out.includes('${')) fail('dial string', out, 'contains "${"', 'expansion');
  assertOneApiArgument(out, 'dial string');
  return out as DialString;
}

/**
 * Rule A: the dial string must reach originate_function as one argument — every blank inside
 * a '…' pair, quotes balanced, no `\` other than the `\,` we write.
 */
function assertOneApiArgument(text: string, field: string): void {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (c === ' ' && !quoted) fail(field, text, 'has a blank outside quotes (would split the api arguments)', 'unsafe');
    else if (c === '\\' && text[i + 1] !== ',') fail(field, text, 'has a backslash that is not \\,', 'backslash');
  }
  if (quoted) fail(field, text, 'has an unbalanced quote', 'quote');
}

// ---------------------------------------------------------------------------------------------
// ESL command text

/**
 * A value for an `api`/`bgapi` line or a sendmsg header (rule D): returned unchanged when it
 * holds no CR, LF or NUL, otherwise {@link UnsafeDialStringError}.
 */
export function eslArg(value: string, field = 'esl argument'): string {
  if (typeof value !== 'string') fail(field, value, 'not a string', 'bad_type');
  checkSingleLine(field, value);
  return value;
}

export interface OriginateApp {
  /** Dialplan application to run on the answered leg, e.g. `park`, `socket`, `playback`. */
  readonly name: string;
  /** Its argument; blanks are fine (the token is then quoted), `(` `)` `'` `\` and `${` are not. */
  readonly arg?: string;
}

export interface OriginateSpec {
  /** A checked dial string, or the parts to build one. */
  readonly dial: DialString | DialStringSpec;
  /** Run this app on the answered leg (`&name(arg)`). Default when neither app nor extension: `&park()`. */
  readonly app?: OriginateApp;
  /** Or transfer the answered leg to this dialplan extension. */
  readonly extension?: string;
  readonly dialplan?: string;
  readonly context?: string;
}

function checkApiToken(field: string, value: unknown, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) fail(field, value, `expected ${what}`, 'bad_argument');
  // originate_function turns an argument spelled `undef` into NULL; a NULL extension aborts the switch.
  if (value.toLowerCase() === 'undef') fail(field, value, '"undef" means "no value" to originate (a NULL extension aborts FreeSWITCH)', 'bad_argument');
  return value;
}

/**
 * The argument of the `originate` API (send it as `api originate …` / `bgapi originate …`):
 * `originate {origination_uuid=…,originate_timeout=20}user/1001 &park()`.
 * Returns the whole text starting with `originate `.
 */
export function originateCommand(spec: OriginateSpec): string {
  const dial: string = typeof spec.dial === 'string' ? spec.dial : dialString(spec.dial);
  // A DialString can only come from dialString(), but a cast can lie: check the cheap invariants again.
  checkSingleLine('dial', dial);
  if (dial.length === 0) fail('dial', dial, 'empty dial string', 'empty');
  if (dial.includes('${')) fail('dial', dial, 'contains "${"', 'expansion');
  if (dial.includes(ENT_DELIM)) fail('dial', dial, 'contains ":_:"', 'enterprise_delimiter');
  assertOneApiArgument(dial, 'dial');

  if (spec.app !== undefined && spec.extension !== undefined) {
    fail('app', spec.app.name, 'give either app or extension, not both', 'bad_app');
  }
  if (spec.extension === undefined && (spec.dialplan !== undefined || spec.context !== undefined)) {
    fail('dialplan', spec.dialplan ?? spec.context, 'dialplan and context go with an extension', 'bad_argument');
  }

  if (spec.extension !== undefined) {
    const parts = [checkApiToken('extension', spec.extension, EXTENSION, 'a dialplan extension ([A-Za-z0-9_+*#.-], 1-64)')];
    if (spec.dialplan !== undefined || spec.context !== undefined) {
      parts.push(checkApiToken('dialplan', spec.dialplan ?? 'XML', DIALPLAN_OR_CONTEXT, 'a dialplan name ([A-Za-z0-9_.-], 1-64)'));
    }
    if (spec.context !== undefined) {
      parts.push(checkApiToken('context', spec.context, DIALPLAN_OR_CONTEXT, 'a context name ([A-Za-z0-9_.-], 1-64)'));
    }
    return `originate ${dial} ${parts.join(' ')}`;
  }

  const app = spec.app ?? { name: 'park' };
  if (typeof app.name !== 'string' || !APP_NAME.test(app.name) || app.name.length > 64) {
    fail('app.name', app.name, 'application name must match ^[A-Za-z_][A-Za-z0-9_]*$', 'bad_app');
  }
  const arg = app.arg ?? '';
  if (typeof arg !== 'string') fail('app.arg', arg, 'application argument is not a string', 'bad_type');
  if (arg.length > APP_ARG_MAX) fail('app.arg', arg, `longer than ${APP_ARG_MAX} characters`, 'too_long');
  checkControl('app.arg', arg);
  // originate_function cuts the app name at the first `)` and the argument at the first `(`.
  if (/[()]/.test(arg)) fail('app.arg', arg, 'contains ( or ) (originate cuts "&app(arg)" at the first ")")', 'bad_argument');
  // Rule A: `'` toggles the blank split, `\` is unescaped by cleanup_separated_string.
  if (arg.includes("'")) fail('app.arg', arg, "contains ' (quote in the api argument splitter)", 'quote');
  if (arg.includes('\\')) fail('app.arg', arg, 'contains a backslash (unescaped by the api argument splitter)', 'backslash');
  checkExpansion('app.arg', arg); // rule C: the app argument is expanded when the app runs
  const token = `&${app.name}(${arg})`;
  // A blank would split the api arguments; a '…' pair keeps it one argument and is removed by
  // cleanup_separated_string before originate_function reads `&app(arg)`.
  return `originate ${dial} ${arg.includes(' ') ? `'${token}'` : token}`;
}
