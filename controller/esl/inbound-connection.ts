import { dialInbound } from './modesl-binding.js';
import { EslConnection } from './esl-connection.js';
import { EslAuthError } from './errors/esl-auth-error.js';
import { EslConnectionClosedError } from './errors/esl-connection-closed-error.js';
import { EslTimeoutError } from './errors/esl-timeout-error.js';

/** Address and secret of one FreeSWITCH event socket (inbound ESL, port 8021). */
export interface InboundTarget {
  host: string;
  port: number;
  password: string;
}

/**
 * Opens one inbound ESL connection and authenticates it. Resolves with the connection;
 * rejects with EslAuthError on a wrong password (modesl itself only emits an event nobody
 * listens to and never calls back), EslTimeoutError, or EslConnectionClosedError.
 */
export async function openInbound(target: InboundTarget, defaultTimeoutMs: number, connectTimeoutMs: number): Promise<EslConnection> {
  const modeslConn = dialInbound(target.host, target.port, target.password);
  const conn = new EslConnection(modeslConn, defaultTimeoutMs);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        modeslConn.once('esl::ready', () => resolve());
        modeslConn.once('esl::event::auth::fail', (...args: never[]) => {
          const ev = args[0] as { getHeader(n: string): unknown } | undefined;
          reject(new EslAuthError(target.host, target.port, String(ev?.getHeader('Reply-Text') ?? '-ERR invalid')));
        });
      }),
      conn.closed.then((info) => {
        throw new EslConnectionClosedError(`connect ${target.host}:${target.port}`, info.reason);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new EslTimeoutError(`connect ${target.host}:${target.port}`, connectTimeoutMs)), connectTimeoutMs);
      }),
    ]);
  } catch (err) {
    conn.destroy('connect failed');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return conn;
}
