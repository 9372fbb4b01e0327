// The `qcb` command line: one commander program, each command group in commands/. Commands
// get their output sink and environment passed in, so tests run them in-process as well as
// through the binary. An `env` left undefined means process.env, read by controller/config.
import { Command, CommanderError } from 'commander';
import { ConfigError, type Env } from '../config/index.js';
import { registerAgent } from './commands/agent.js';
import { registerCallback } from './commands/callback.js';
import { registerStatus } from './commands/status.js';
import { registerConfig } from './commands/config-check.js';
import { registerMigrate } from './commands/migrate.js';
import { registerRun } from './commands/run.js';
import { CliExit, consoleIo, type CliIo } from './io.js';
import { packageVersion } from '../ops/version.js';
import { registerController } from './commands/controller.js';

const version = packageVersion;

/** Builds the program; it throws instead of exiting (see runCli). */
export function buildProgram(io: CliIo = consoleIo, env?: Env): Command {
  const program = new Command('qcb')
    .description('queue callback for FreeSWITCH: operations')
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .showHelpAfterError('(run with --help for usage)');
  registerMigrate(program, io, env);
  registerConfig(program, io, env);
  registerRun(program, io, env);
  registerAgent(program, io, env);
  registerCallback(program, io, env);
  registerStatus(program, io, env);
  registerController(program, io, env);
  return program;
}

/** Runs the CLI on `argv` (node, script, …args) and returns the exit code; never exits itself. */
export async function runCli(argv: readonly string[], io: CliIo = consoleIo, env?: Env): Promise<number> {
  const program = buildProgram(io, env);
  if (argv.length <= 2) {
    program.outputHelp();
    return 1;
  }
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed it
    if (err instanceof ConfigError) {
      io.err(`qcb: ${err.message}`);
      return 1;
    }
    if (err instanceof CliExit) {
      if (err.message) io.err(`qcb: ${err.message}`);
      return err.exitCode;
    }
    io.err(`qcb: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
