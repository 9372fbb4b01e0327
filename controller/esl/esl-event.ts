import type { ModeslEvent } from './modesl-binding.js';
import type { EventName } from './event-names.js';

/**
 * A FreeSWITCH event or reply, header values already URL-decoded. Read-only view over the
 * parsed frame; header lookups are O(1).
 */
export class EslEvent {
  readonly #raw: ModeslEvent;

  constructor(raw: ModeslEvent) {
    this.#raw = raw;
  }

  /** `Event-Name` (e.g. CHANNEL_EXECUTE_COMPLETE), or '' for replies that carry none. */
  get name(): EventName | '' {
    return (this.header('Event-Name') ?? '') as EventName | '';
  }

  /** The channel the event is about (`Unique-ID`), if any. */
  get uniqueId(): string | undefined {
    return this.header('Unique-ID');
  }

  /** A header's decoded value, or undefined when absent. */
  header(name: string): string | undefined {
    const v = this.#raw.getHeader(name);
    return v === null || v === undefined ? undefined : String(v);
  }

  /** A channel variable carried as `variable_<name>`. */
  variable(name: string): string | undefined {
    return this.header(`variable_${name}`);
  }

  /** The event's body (BACKGROUND_JOB result, api body), '' when none. */
  get body(): string {
    return this.#raw.getBody() ?? '';
  }

  /** All headers as a plain object (for logs and tests). */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const h of this.#raw.headers) out[h.name] = String(h.value);
    return out;
  }
}
