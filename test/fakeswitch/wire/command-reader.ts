/**
 * Reads ESL client commands from a TCP byte stream, following mod_event_socket.c read_packet():
 * - leading CR/LF before a command are skipped;
 * - a command ends at two LFs in a row, CRs in between ignored (so LF LF, CRLF CRLF, LF CR LF all end it);
 * - the first line is the command, the next lines are `Name: value` headers (value after ':' with spaces skipped);
 * - a `content-length` header (any case) means exactly that many body bytes follow the blank line.
 * Works with commands split across any chunks and several commands per chunk (modesl writes them in fragments).
 */
export interface EslCommand {
  /** first line, without CR/LF */
  readonly command: string;
  /** headers in the order sent, names as sent */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Buffer;
}

/** Case-insensitive header lookup (switch_event_get_header is case-insensitive). */
export function cmdHeader(cmd: EslCommand, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of cmd.headers) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** mod_event_socket.c MAX_CONTENT_LENGTH is 10 MB; larger bodies make FreeSWITCH drop the connection. */
export const MAX_CONTENT_LENGTH = 10 * 1024 * 1024;

export class CommandReader {
  #buf: Buffer = Buffer.alloc(0);
  #pending: { command: string; headers: Array<[string, string]>; need: number } | undefined;

  /** Feeds bytes; returns the complete commands they finish. Throws on an out-of-range Content-Length. */
  push(chunk: Buffer): EslCommand[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: EslCommand[] = [];
    for (;;) {
      if (this.#pending) {
        if (this.#buf.length < this.#pending.need) break;
        const body = this.#buf.subarray(0, this.#pending.need);
        this.#buf = this.#buf.subarray(this.#pending.need);
        out.push({ command: this.#pending.command, headers: this.#pending.headers, body: Buffer.from(body) });
        this.#pending = undefined;
        continue;
      }
      // read_packet: "if (*mbuf == '\r' || *mbuf == '\n') ... continue" — skip blank lines between commands
      let start = 0;
      while (start < this.#buf.length && (this.#buf[start] === 0x0d || this.#buf[start] === 0x0a)) start++;
      if (start) this.#buf = this.#buf.subarray(start);
      const end = findEnd(this.#buf);
      if (end < 0) break;
      const block = this.#buf.subarray(0, end).toString('latin1');
      this.#buf = this.#buf.subarray(end);
      const lines = block.split(/\r?\n|\r/).filter((l) => l.length > 0);
      const command = lines[0] ?? '';
      const headers: Array<[string, string]> = [];
      let clen = 0;
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i < 0) continue; // read_packet ignores a header line without ':'
        const name = line.slice(0, i);
        const value = line.slice(i + 1).replace(/^ +/, '');
        headers.push([name, Buffer.from(value, 'latin1').toString('utf8')]);
        if (name.toLowerCase() === 'content-length') {
          clen = parseInt(value, 10);
          if (!(clen >= 0) || clen > MAX_CONTENT_LENGTH) throw new Error(`Content-Length out of range: ${value}`);
        }
      }
      const cmdText = Buffer.from(command, 'latin1').toString('utf8');
      if (clen > 0) {
        this.#pending = { command: cmdText, headers, need: clen };
        continue;
      }
      out.push({ command: cmdText, headers });
    }
    return out;
  }
}

/** Index just after the second consecutive LF (CRs ignored), or -1. */
function findEnd(buf: Buffer): number {
  let lf = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === 0x0a) {
      lf++;
      if (lf === 2) return i + 1;
    } else if (b !== 0x0d) {
      lf = 0;
    }
  }
  return -1;
}
