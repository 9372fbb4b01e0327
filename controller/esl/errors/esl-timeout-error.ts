/** An ESL command, app or job got no answer from FreeSWITCH within its deadline. */
export class EslTimeoutError extends Error {
  override readonly name = 'EslTimeoutError';
  constructor(
    /** What was waited for, e.g. `api uuid_exists …` or `execute playback`. */
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`ESL ${operation} timed out after ${timeoutMs} ms`);
  }
}
