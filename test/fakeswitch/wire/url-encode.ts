/**
 * URL encoding exactly as FreeSWITCH's switch_url_encode (src/switch_utils.c, switch_url_encode_opt with
 * double_encode = false): every byte below 0x20, above '~', or in SWITCH_URL_UNSAFE
 * (src/include/switch_utils.h: CR LF space # % & + : ; < = > ? @ [ \ ] ^ ` { | } ") becomes %XX (upper-case hex),
 * working on the UTF-8 bytes. A '%' followed by two UPPER-CASE hex digits is left alone (no double encoding;
 * README "URL encoding": `100%41` goes out as `100%41`). Lower-case hex after '%' is not recognised there, so
 * `%4a` becomes `%254a`.
 */
const UNSAFE = new Set(Array.from('\r\n #%&+:;<=>?@[\\]^`{|}"', (c) => c.charCodeAt(0)));
const HEX = '0123456789ABCDEF';

function isUpperHex(b: number | undefined): boolean {
  return b !== undefined && HEX.includes(String.fromCharCode(b));
}

/** Encodes a header value the way FreeSWITCH writes it in text/event-plain. Returns a latin-1-safe ASCII string. */
export function switchUrlEncode(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    // switch_utils.c: the "already encoded" check needs two more characters after the '%' (e - p > 1)
    if (b === 0x25 && i + 2 < bytes.length && isUpperHex(bytes[i + 1]) && isUpperHex(bytes[i + 2])) {
      out += '%';
      continue;
    }
    if (b < 0x20 || b > 0x7e || UNSAFE.has(b)) {
      out += '%' + HEX[b >> 4] + HEX[b & 0x0f];
    } else {
      out += String.fromCharCode(b);
    }
  }
  return out;
}

/** Lenient percent-decoding (bad escapes are kept as they are), the inverse used by tests and the fixture loader. */
export function percentDecode(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && i + 2 < value.length + 0 && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(value[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
