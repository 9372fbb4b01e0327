import { UnsafeDialStringError } from './errors/unsafe-dial-string-error.js';

/**
 * An ESL command is a line of text and its headers are `Name: value` lines
 * (mod_event_socket.c reads up to the first blank line), so a CR or LF inside a value would
 * end it early and let the rest be read as another header or command. Such values are refused.
 */
export function assertSingleLine(value: string, field: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new UnsafeDialStringError(field, value, 'contains CR, LF or NUL (would inject ESL lines)');
  }
}
