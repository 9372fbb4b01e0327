/**
 * Serialisers for everything FreeSWITCH writes on an ESL socket (mod_event_socket.c, switch_event.c).
 * All functions return the exact bytes of one frame.
 */
import { switchUrlEncode } from './url-encode.js';

export type HeaderList = ReadonlyArray<readonly [string, string]>;

export const GOODBYE = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

/** Greeting on a new inbound connection (listener_run). */
export function authRequest(): Buffer {
  return Buffer.from('Content-Type: auth/request\n\n', 'latin1');
}

/** `Content-Type: command/reply` with a Reply-Text and optional extra headers (bgapi adds Job-UUID). Not encoded. */
export function commandReply(replyText: string, extra: HeaderList = []): Buffer {
  let s = `Content-Type: command/reply\nReply-Text: ${replyText}\n`;
  for (const [k, v] of extra) s += `${k}: ${v}\n`;
  return Buffer.from(s + '\n', 'utf8');
}

/** `api/response`: Content-Length counts bytes (a08); an empty reply becomes `-ERR no reply\n` (api_exec). */
export function apiResponse(body: string | Buffer): Buffer {
  let b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (b.length === 0) b = Buffer.from('-ERR no reply\n', 'latin1');
  return Buffer.concat([Buffer.from(`Content-Type: api/response\nContent-Length: ${b.length}\n\n`, 'latin1'), b]);
}

/**
 * switch_event_serialize(encode=TRUE): `Name: urlencoded\n` per header (an empty value is written `_undef_`), then
 * either a blank line, or — when there is a body — `Content-Length: M\n\n<body>` and no trailing blank line.
 */
export function serializePlain(headers: HeaderList, body?: string): Buffer {
  let s = '';
  for (const [k, v] of headers) {
    const enc = switchUrlEncode(v);
    s += `${k}: ${enc === '' ? '_undef_' : enc}\n`;
  }
  const head = Buffer.from(s, 'latin1');
  if (body !== undefined && body.length > 0) {
    const b = Buffer.from(body, 'utf8');
    return Buffer.concat([head, Buffer.from(`Content-Length: ${b.length}\n\n`, 'latin1'), b]);
  }
  return Buffer.concat([head, Buffer.from('\n', 'latin1')]);
}

/**
 * switch_event_serialize_json: one object, headers in order (duplicates kept, as cJSON_AddItemToObject does),
 * raw UTF-8, no trailing LF; a body adds "Content-Length" (bytes, as a string) and "_body".
 */
export function serializeJson(headers: HeaderList, body?: string): Buffer {
  const parts: string[] = [];
  for (const [k, v] of headers) parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
  if (body !== undefined) {
    parts.push(`"Content-Length":${JSON.stringify(String(Buffer.byteLength(body, 'utf8')))}`);
    parts.push(`"_body":${JSON.stringify(body)}`);
  }
  return Buffer.from(`{${parts.join(',')}}`, 'utf8');
}

/**
 * switch_event_xmlize + switch_xml_toxml: values percent-encoded inside the tags (README "text/event-xml").
 * a08: `<event>\n  <headers>\n    <Name>value</Name>\n …  </headers>\n</event>\n`; the body part is a guess.
 */
export function serializeXml(headers: HeaderList, body?: string): Buffer {
  let s = '<event>\n  <headers>\n';
  for (const [k, v] of headers) s += `    <${k}>${switchUrlEncode(v)}</${k}>\n`;
  s += '  </headers>\n';
  if (body !== undefined && body.length > 0) {
    s += `  <Content-Length>${Buffer.byteLength(body, 'utf8')}</Content-Length>\n  <body>${xmlEscape(body)}</body>\n`;
  }
  s += '</event>\n'; // a08: the body ends with a LF
  return Buffer.from(s, 'utf8');
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export type EventFormat = 'plain' | 'json' | 'xml';

/** An event frame: `Content-Length` FIRST, then `Content-Type: text/event-<fmt>` (read_packet in mod_event_socket.c). */
export function eventFrame(format: EventFormat, headers: HeaderList, body?: string): Buffer {
  const inner =
    format === 'plain' ? serializePlain(headers, body) : format === 'json' ? serializeJson(headers, body) : serializeXml(headers, body);
  return Buffer.concat([Buffer.from(`Content-Length: ${inner.length}\nContent-Type: text/event-${format}\n\n`, 'latin1'), inner]);
}

/** send_disconnect() without a session (inbound): a01/a02 `exit` and bad password. */
export function disconnectNoticeInbound(message = GOODBYE): Buffer {
  const m = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`Content-Type: text/disconnect-notice\nContent-Length: ${m.length}\n\n`, 'latin1'), m]);
}

/** send_disconnect() with a session (outbound): b02/b08. */
export function disconnectNoticeOutbound(sessionUuid: string, message = GOODBYE): Buffer {
  const m = Buffer.from(message, 'utf8');
  return Buffer.concat([
    Buffer.from(
      `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${sessionUuid}\nContent-Disposition: disconnect\nContent-Length: ${m.length}\n\n`,
      'latin1',
    ),
    m,
  ]);
}

/** The linger notice sent after CHANNEL_HANGUP_COMPLETE when `linger` is on (b01 `-1`, b03 `5`). */
export function lingerNotice(sessionUuid: string, channelName: string, lingerTime: number): Buffer {
  return Buffer.from(
    `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${sessionUuid}\nContent-Disposition: linger\nChannel-Name: ${channelName}\nLinger-Time: ${lingerTime}\nContent-Length: 0\n\n`,
    'utf8',
  );
}

/**
 * The `connect` reply on an outbound socket: a serialised CHANNEL_DATA event whose header block carries
 * Content-Type/Reply-Text/Socket-Mode/Control at the END and which has no Content-Length (b01; parse_command
 * "connect"). Reply-Text is `+OK\n`, so it is written `%2BOK%0A`.
 */
export function connectReply(channelDataHeaders: HeaderList, async: boolean, full: boolean): Buffer {
  return serializePlain([
    ...channelDataHeaders,
    ['Content-Type', 'command/reply'],
    ['Reply-Text', '+OK\n'],
    ['Socket-Mode', async ? 'async' : 'static'],
    ['Control', full ? 'full' : 'single-channel'],
  ]);
}
