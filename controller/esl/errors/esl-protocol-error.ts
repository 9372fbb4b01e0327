/**
 * A frame from the peer could not be understood (bad Content-Length, bad JSON body, …).
 * `fatal`: the byte stream can no longer be framed (a framing error), so the connection is
 * closed -- the patched parser has already closed the socket when this is raised.
 */
export class EslProtocolError extends Error {
  override readonly name = 'EslProtocolError';
  constructor(readonly detail: string, readonly fatal = false) {
    super(detail.startsWith('ESL protocol error') ? detail : `ESL protocol error: ${detail}`);
  }
}
