/** A frame from the peer could not be understood (bad Content-Length, bad JSON body, …). */
export class EslProtocolError extends Error {
  override readonly name = 'EslProtocolError';
  constructor(readonly detail: string) {
    super(detail.startsWith('ESL protocol error') ? detail : `ESL protocol error: ${detail}`);
  }
}
