/** FreeSWITCH rejected the inbound ESL password (`-ERR invalid`). Retrying will not help. */
export class EslAuthError extends Error {
  override readonly name = 'EslAuthError';
  constructor(
    readonly host: string,
    readonly port: number,
    readonly reply: string,
  ) {
    super(`ESL authentication to ${host}:${port} failed (${reply}): check ESL_PASSWORD`);
  }
}
