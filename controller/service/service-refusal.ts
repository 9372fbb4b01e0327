// What the service layer refuses, and why, in a form both doors can show: the CLI prints the
// message and exits 1; the HTTP API answers 400 (invalid, with the field), 404 (not_found) or
// 409 (conflict: the thing exists but is in a state that forbids the action).
export type RefusalKind = 'invalid' | 'not_found' | 'conflict';

export class ServiceRefusal extends Error {
  override readonly name: string = 'ServiceRefusal';
  readonly kind: RefusalKind;
  /** The input field at fault (invalid input), e.g. `number`. */
  readonly field: string | undefined;
  /** Extra facts for the caller, e.g. the id of the callback a request duplicates. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(kind: RefusalKind, message: string, opts: { field?: string; details?: Record<string, unknown> } = {}) {
    super(message);
    this.kind = kind;
    this.field = opts.field;
    this.details = opts.details;
  }
}

/** An entry id as the API and CLI take it: decimal digits (ids are int8, kept as strings). */
export function checkEntryId(id: string, field = 'id'): string {
  if (!/^[1-9][0-9]{0,17}$/.test(id)) throw new ServiceRefusal('invalid', `entry ${JSON.stringify(id.slice(0, 40))}: not an entry id`, { field });
  return id;
}
