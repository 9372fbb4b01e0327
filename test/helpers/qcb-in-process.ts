// `qcb …` run in-process (runCli with a recording CliIo): exit code and the lines written.
import { runCli } from '../../controller/cli/program.js';
import type { CliIo } from '../../controller/cli/io.js';

export interface QcbRun {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

export async function qcbInProcess(env: Record<string, string>, ...args: string[]): Promise<QcbRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await runCli(['node', 'qcb', ...args], io, env);
  return { code, out, err };
}
