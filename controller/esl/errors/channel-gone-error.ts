/** The controlled channel hung up: an app can no longer run on it. */
export class ChannelGoneError extends Error {
  override readonly name = 'ChannelGoneError';
  constructor(
    readonly operation: string,
    readonly channelUuid: string,
    readonly hangupCause: string | undefined,
  ) {
    super(`ESL ${operation} on ${channelUuid}: channel gone${hangupCause ? ` (${hangupCause})` : ''}`);
  }
}
