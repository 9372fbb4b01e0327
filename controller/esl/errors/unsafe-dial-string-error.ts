/** Why a value was refused; `reason` says the same for people, this is for code and metrics. */
export type UnsafeDialStringCode =
  | 'bad_type'
  | 'bad_name'
  | 'empty'
  | 'too_long'
  | 'too_many'
  | 'nul'
  | 'newline'
  | 'control_char'
  | 'invalid_unicode'
  | 'expansion'
  | 'bracket'
  | 'quote'
  | 'backslash'
  | 'pipe'
  | 'enterprise_delimiter'
  | 'alt_delimiter'
  | 'edge_whitespace'
  | 'bad_endpoint'
  | 'bad_number'
  | 'bad_template'
  | 'bad_app'
  | 'bad_argument'
  | 'unsafe';

/** Longest value preview kept on the error (it ends up in logs). */
const PREVIEW_MAX = 80;

/**
 * A dial string, channel variable or ESL command would have been built from a value that could
 * change its meaning (docs/design.md §5 invariant 6). Nothing was sent.
 */
export class UnsafeDialStringError extends Error {
  override readonly name = 'UnsafeDialStringError';
  /** The offending value, truncated and with control characters made visible (safe to log). */
  readonly value: string;

  constructor(
    /** Which input: `origination_caller_id_name`, `legs[1].endpoint`, `app.arg`, … */
    readonly field: string,
    value: unknown,
    /** What is wrong, in words an operator can act on. */
    readonly reason: string,
    readonly code: UnsafeDialStringCode = 'unsafe',
  ) {
    const preview = previewForLog(value);
    super(`unsafe ${field}: ${reason} (got ${preview})`);
    this.value = preview;
  }
}

/**
 * A short, single-line rendering of any value: at most PREVIEW_MAX characters, control and
 * line-break characters shown as escapes so a hostile value cannot forge log lines.
 */
export function previewForLog(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === null || value === undefined || typeof value !== 'object') text = String(value);
  else text = Object.prototype.toString.call(value);
  const cut = text.length > PREVIEW_MAX ? text.slice(0, PREVIEW_MAX) : text;
  const shown = JSON.stringify(cut)
    .slice(1, -1)
    .replace(/[\p{Cc}\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > PREVIEW_MAX ? `"${shown}…" (${text.length} chars)` : `"${shown}"`;
}
