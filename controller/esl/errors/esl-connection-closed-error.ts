/** The ESL socket closed (or was never open) while a call was pending or about to be sent. */
export class EslConnectionClosedError extends Error {
  override readonly name = 'EslConnectionClosedError';
  constructor(
    readonly operation: string,
    /** Why the connection is gone: FreeSWITCH closed it, a socket error, or we closed it. */
    readonly reason: string,
  ) {
    super(`ESL ${operation} failed: connection closed (${reason})`);
  }
}
