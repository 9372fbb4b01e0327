// Channel variables: the checks every variable value goes through (checkValueText, also the
// text checks dial-string.ts applies to endpoints and app arguments) and the `{…}` / `[…]`
// blocks built from checked variables. Pure: no IO. Rules A-D cited below (what FreeSWITCH
// does with the text) are set out in the header of dial-string.ts.
//
// Resulting encoding of a variable value (the same text is right whether the dial string is
// sent through `api originate` (A then B) or as a `bridge` app argument (C then B)):
//   `,`          -> `\,`            (B: escaped delimiter, unescaped by the `,` split's cleanup;
//                                   A and the `|` split's cleanup leave `\,` alone since `,` is
//                                   not their delimiter and not an unescape_char letter)
//   ` ` (inside) -> value in '…'    (A: blank split honours quotes, cleanup drops them; B: the
//                                   `,`/`|` splits honour quotes, cleanup drops them)
//   everything else allowed is written as is; what has no reliable escape is refused — see
//   checkValueText below.
import { UnsafeDialStringError, type UnsafeDialStringCode } from './errors/unsafe-dial-string-error.js';

/** A value a channel variable can take; numbers and booleans are written as FreeSWITCH reads them. */
export type VarValue = string | number | boolean;

/** Variable names: a conservative subset of what FreeSWITCH accepts (no `-`, so no `sip_h_X-…`). */
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VAR_NAME_MAX = 128;
/** Default cap on a variable value (FreeSWITCH has none worth relying on; logs and SIP do). */
export const DEFAULT_MAX_VALUE_LENGTH = 1024;
/**
 * switch_event_create_brackets splits a block into at most 1024 items (var_array[1024]); past
 * that the last item keeps the unsplit rest. We stay far below.
 */
const MAX_VARS_PER_BLOCK = 256;
/** switch_types.h SWITCH_ENT_ORIGINATE_DELIM. */
export const ENT_DELIM = ':_:';

// Shared with dial-string.ts (fail, ENT_DELIM and the single-line / control / expansion checks
// below): exported for it, not meant for other callers.
export function fail(field: string, value: unknown, reason: string, code: UnsafeDialStringCode): never {
  throw new UnsafeDialStringError(field, value, reason, code);
}

// ---------------------------------------------------------------------------------------------
// Text checks shared by values and app arguments

/** Rule D: CR, LF, NUL (same test as wire-text.ts assertSingleLine, with a precise code). */
export function checkSingleLine(field: string, text: string): void {
  if (text.includes('\0')) fail(field, text, 'contains NUL (ends the string inside FreeSWITCH)', 'nul');
  if (/[\r\n]/.test(text)) {
    fail(field, text, 'contains CR or LF (would end the ESL line and inject another header or command)', 'newline');
  }
}

/** CR, LF, NUL and other control characters (rule D; also keeps logs single-line). */
export function checkControl(field: string, text: string): void {
  checkSingleLine(field, text);
  if (/[\p{Cc}\u2028\u2029]/u.test(text)) fail(field, text, 'contains control or line-separator characters', 'control_char');
  // A lone UTF-16 surrogate cannot be sent as UTF-8 (it would become U+FFFD on the wire).
  if (/\p{Cs}/u.test(text)) fail(field, text, 'contains an unpaired UTF-16 surrogate', 'invalid_unicode');
}

/** `${` and `$${` (rule C). */
export function checkExpansion(field: string, text: string): void {
  if (text.includes('${')) {
    fail(field, text, 'contains "${" or "$${" (FreeSWITCH would expand it, and "${api …}" runs a command)', 'expansion');
  }
}

/**
 * Everything a variable value must not contain, in the order the most specific message wins.
 * Exported for callers that want to check a value without building a block.
 */
export function checkValueText(field: string, text: string, maxLength = DEFAULT_MAX_VALUE_LENGTH): void {
  if (text.length === 0) {
    // switch_event_create_brackets adds a variable only when switch_separate_string(item, '=')
    // yields two parts; `a=` and `a=''` yield one, so the variable would silently not be set.
    fail(field, text, 'is empty (FreeSWITCH silently drops `name=`)', 'empty');
  }
  if (text.length > maxLength) fail(field, text, `is longer than ${maxLength} characters`, 'too_long');
  checkControl(field, text);
  checkExpansion(field, text);
  if (/[{}[\]<>]/.test(text)) {
    // switch_find_end_paren counts brackets without regard to quotes or `\`: no escape exists.
    fail(field, text, 'contains one of { } [ ] < > (they delimit variable blocks and cannot be escaped)', 'bracket');
  }
  if (text.includes("'")) {
    // cleanup_separated_string pairs quotes only when another `'` follows, the `api` blank split
    // toggles on every `'`, and `\'` is consumed by whichever pass runs first: its meaning depends
    // on the path, so there is no reliable escape.
    fail(field, text, `contains ' (a quote in FreeSWITCH's splitter; no escape works on every path)`, 'quote');
  }
  if (text.includes('"')) {
    // Not a dial-string delimiter, but `\"` is an escape in cleanup_separated_string and the value
    // ends up in SIP display names (RFC 3261 quoted-string); refused rather than guessed.
    fail(field, text, 'contains " (ends up in SIP quoted strings)', 'quote');
  }
  if (text.includes('\\')) {
    // cleanup_separated_string and unescape_char turn \n \r \t \s \\ \' \" and `\<delim>` into
    // other characters, once per pass, and the number of passes differs by path.
    fail(field, text, 'contains a backslash (FreeSWITCH unescapes it a path-dependent number of times)', 'backslash');
  }
  if (text.includes('|')) {
    // Literal inside `{…}` (parsed before the `|` split) but a group separator inside `[…]`
    // unless escaped: one value, two meanings. Refused.
    fail(field, text, 'contains | (separates sequential dial groups)', 'pipe');
  }
  if (text.includes(ENT_DELIM)) {
    // strstr(bridgeto, ":_:") on the raw string, before any unescaping: no escape exists.
    fail(field, text, 'contains ":_:" (FreeSWITCH would split the call into enterprise originates)', 'enterprise_delimiter');
  }
  if (text.startsWith('^^')) {
    // switch_separate_string / switch_event_create_brackets read a leading ^^<c> as "use <c> as
    // the separator". Values never start a split buffer as we write them; refused anyway.
    fail(field, text, 'starts with "^^" (FreeSWITCH alternate-delimiter syntax)', 'alt_delimiter');
  }
  if (text.startsWith(' ') || text.endsWith(' ')) {
    // cleanup_separated_string trims leading and trailing blanks of every piece.
    fail(field, text, 'starts or ends with a space (FreeSWITCH would trim it)', 'edge_whitespace');
  }
}

// ---------------------------------------------------------------------------------------------
// Channel variables

/** One validated channel variable: `value` is the plain text FreeSWITCH will store. */
export interface ChannelVar {
  readonly name: string;
  readonly value: string;
}

export interface ChannelVarOptions {
  /** Name used on errors; defaults to the variable name. */
  readonly field?: string;
  /** Longest accepted value (default {@link DEFAULT_MAX_VALUE_LENGTH}). */
  readonly maxLength?: number;
}

function checkVarName(field: string, name: unknown): string {
  if (typeof name !== 'string') fail(field, name, 'variable name is not a string', 'bad_type');
  if (name.length > VAR_NAME_MAX || !VAR_NAME.test(name)) {
    fail(field, name, 'variable name must match ^[A-Za-z_][A-Za-z0-9_]*$ (at most 128 characters)', 'bad_name');
  }
  return name;
}

function valueToText(field: string, value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) fail(field, value, 'number is not finite', 'bad_type');
      return String(value);
    case 'bigint':
      return value.toString();
    default:
      return fail(field, value, `value must be a string, number or boolean, not ${value === null ? 'null' : typeof value}`, 'bad_type');
  }
}

/**
 * Validates one variable (strict: anything unsafe throws {@link UnsafeDialStringError} naming
 * the field and the reason). The value is kept as given, never silently altered; map hostile
 * network text with {@link sanitizeCallerIdName} / {@link sanitizeCallerIdNumber} first.
 */
export function channelVar(name: string, value: VarValue, options: ChannelVarOptions = {}): ChannelVar {
  const field = options.field ?? (typeof name === 'string' ? name : 'variable');
  checkVarName(field, name);
  const text = valueToText(field, value);
  checkValueText(field, text, options.maxLength ?? DEFAULT_MAX_VALUE_LENGTH);
  return Object.freeze({ name, value: text });
}

/**
 * The text of one `name=value` item inside `{…}` or `[…]` for a validated variable. Only
 * two characters still need care after {@link checkValueText}: `,` becomes `\,` and a value with
 * a space is wrapped in single quotes (see the header comment for why both survive every path).
 */
function encodeVarItem(v: ChannelVar): string {
  let text = v.value.replaceAll(',', '\\,');
  if (text.includes(' ')) text = `'${text}'`;
  return `${v.name}=${text}`;
}

/** What {@link ChannelVars} and {@link dialString} accept as variables. `null`/`undefined` values are skipped. */
export type VarsInit =
  | ChannelVars
  | Readonly<Record<string, VarValue | null | undefined>>
  | Iterable<readonly [string, VarValue | null | undefined]>;

/**
 * An ordered set of validated channel variables (setting a name again replaces its value, as
 * FreeSWITCH's EF_UNIQ_HEADERS does for `{…}`), rendered as a `{…}` (all legs) or `[…]`
 * (one leg) block.
 */
export class ChannelVars {
  readonly #vars = new Map<string, ChannelVar>();
  readonly #fieldPrefix: string;
  readonly #maxLength: number;

  constructor(init?: VarsInit, options: { fieldPrefix?: string; maxLength?: number } = {}) {
    this.#fieldPrefix = options.fieldPrefix ?? '';
    this.#maxLength = options.maxLength ?? DEFAULT_MAX_VALUE_LENGTH;
    if (init !== undefined) this.setAll(init);
  }

  static from(init?: VarsInit, options?: { fieldPrefix?: string; maxLength?: number }): ChannelVars {
    return new ChannelVars(init, options);
  }

  /** Sets one variable; throws {@link UnsafeDialStringError} when the name or value is unsafe. */
  set(name: string, value: VarValue): this {
    const v = channelVar(name, value, { field: `${this.#fieldPrefix}${String(name)}`, maxLength: this.#maxLength });
    this.#vars.delete(v.name);
    if (this.#vars.size >= MAX_VARS_PER_BLOCK) {
      fail(`${this.#fieldPrefix}${v.name}`, v.name, `more than ${MAX_VARS_PER_BLOCK} variables in one block`, 'too_many');
    }
    this.#vars.set(v.name, v);
    return this;
  }

  /** Sets the variable only when a value is given (handy for optional caller ID). */
  setIfPresent(name: string, value: VarValue | null | undefined): this {
    return value === null || value === undefined ? this : this.set(name, value);
  }

  setAll(init: VarsInit): this {
    const pairs: Iterable<readonly [string, VarValue | null | undefined]> =
      init instanceof ChannelVars
        ? [...init.entries()].map((v) => [v.name, v.value] as const)
        : isIterable(init)
          ? init
          : Object.entries(init);
    for (const [name, value] of pairs) this.setIfPresent(name, value);
    return this;
  }

  get(name: string): string | undefined {
    return this.#vars.get(name)?.value;
  }

  has(name: string): boolean {
    return this.#vars.has(name);
  }

  get size(): number {
    return this.#vars.size;
  }

  entries(): IterableIterator<ChannelVar> {
    return this.#vars.values();
  }

  /** `{a=1,b='x y'}` for all legs, `[a=1]` for one leg; empty string when there are no variables. */
  toBlock(kind: 'global' | 'leg' = 'global'): string {
    if (this.#vars.size === 0) return '';
    const body = [...this.#vars.values()].map(encodeVarItem).join(',');
    return kind === 'global' ? `{${body}}` : `[${body}]`;
  }
}

function isIterable(x: unknown): x is Iterable<readonly [string, VarValue | null | undefined]> {
  return typeof x === 'object' && x !== null && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}
