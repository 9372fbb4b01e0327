/** Helpers to replay a recorded client's commands against the simulator and line the answers up. */
import { header, type Frame } from './frame-parser.js';
import type { RawEsl } from './raw-client.js';
import type { EslCommand } from '../wire/command-reader.js';
import { recordedCommands, recordedFrames, type Transcript } from './fixtures.js';

export const isAnswer = (f: Frame): boolean => ['command/reply', 'api/response'].includes(header(f, 'Content-Type') ?? '');

/** The exact bytes of a recorded command (re-serialised: command line, headers, blank line, body). */
export function commandBytes(c: EslCommand): Buffer {
  let s = c.command + '\n';
  for (const [k, v] of c.headers) s += `${k}: ${v}\n`;
  return Buffer.concat([Buffer.from(s + '\n', 'utf8'), c.body ?? Buffer.alloc(0)]);
}

/** Recorded commands of a connection with the reply/response FreeSWITCH gave to each (in order). */
export function recordedPairs(t: Transcript, conn: string): Array<{ cmd: EslCommand; answer: Frame }> {
  const cmds = recordedCommands(t, conn);
  const answers = recordedFrames(t, conn).filter(isAnswer);
  return cmds.map((cmd, i) => {
    const answer = answers[i];
    if (!answer) throw new Error(`${t.name}/${conn}: no answer for ${cmd.command}`);
    return { cmd, answer };
  });
}

/** Sends one command and resolves with our answer to it. */
export async function ask(c: RawEsl, cmd: EslCommand | string): Promise<Frame> {
  c.send(typeof cmd === 'string' ? `${cmd}\n\n` : commandBytes(cmd));
  return c.next(isAnswer);
}
