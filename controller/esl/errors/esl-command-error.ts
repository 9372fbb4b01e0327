/** FreeSWITCH answered a command with `-ERR …` (command/reply or api/response). */
export class EslCommandError extends Error {
  override readonly name = 'EslCommandError';
  constructor(
    readonly operation: string,
    /** The reply text after `-ERR `, e.g. `invalid`, `USER_BUSY`, `No such channel!`. */
    readonly reply: string,
  ) {
    super(`ESL ${operation} failed: -ERR ${reply}`);
  }
}
