/**
 * Splits an ESL byte stream (FreeSWITCH → client) into frames: header block up to the blank line, then exactly
 * Content-Length bytes of body. Used by the replay tests (recorded streams) and the raw test client.
 */
export interface Frame {
  /** outer headers in order, values as on the wire */
  readonly headers: Array<[string, string]>;
  readonly body: Buffer;
  /** the exact bytes of the frame */
  readonly raw: Buffer;
}

export function header(f: { headers: ReadonlyArray<readonly [string, string]> }, name: string): string | undefined {
  for (const [k, v] of f.headers) if (k === name) return v;
  return undefined;
}

export class FrameParser {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: Frame[] = [];
    for (;;) {
      const end = this.#buf.indexOf('\n\n');
      if (end < 0) break;
      const head = this.#buf.subarray(0, end).toString('latin1');
      const headers = parseHeaderBlock(head);
      const cl = headers.find(([k]) => k === 'Content-Length');
      const n = cl ? parseInt(cl[1], 10) : 0;
      if (this.#buf.length < end + 2 + n) break;
      const raw = Buffer.from(this.#buf.subarray(0, end + 2 + n));
      out.push({ headers, body: raw.subarray(end + 2), raw });
      this.#buf = this.#buf.subarray(end + 2 + n);
    }
    return out;
  }

  get rest(): Buffer {
    return this.#buf;
  }
}

export function parseHeaderBlock(head: string): Array<[string, string]> {
  return head
    .split('\n')
    .filter((l) => l.length)
    .map((l) => {
      const i = l.indexOf(': ');
      return i < 0 ? ([l, ''] as [string, string]) : ([l.slice(0, i), l.slice(i + 2)] as [string, string]);
    });
}

/** The event inside a text/event-plain frame: its headers (still URL-encoded) and its body, if any. */
export function parsePlainEvent(body: Buffer): { headers: Array<[string, string]>; body: Buffer | undefined; trailingBlank: boolean } {
  const end = body.indexOf('\n\n');
  const head = body.subarray(0, end < 0 ? body.length : end).toString('latin1');
  const headers = parseHeaderBlock(head);
  const last = headers[headers.length - 1];
  if (last && last[0] === 'Content-Length') {
    const inner = body.subarray(end + 2);
    return { headers, body: inner, trailingBlank: false };
  }
  return { headers, body: undefined, trailingBlank: end === body.length - 2 };
}
