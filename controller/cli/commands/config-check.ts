// `qcb config check [file]`: validates a config file (and the environment) and prints every
// problem; exit 1 when there is any. For CI on the config repo and before a restart.
import type { Command } from 'commander';
import { loadConfig, type ConfigNeed, type Env } from '../../config/index.js';
import type { CliIo } from '../io.js';

interface CheckOptions {
  requireSecrets?: boolean;
  print?: boolean;
}

function check(io: CliIo, env: Env | undefined, file: string | undefined, options: CheckOptions): void {
  const need: ConfigNeed[] = options.requireSecrets ? ['database', 'redis', 'esl', 'agentPins'] : [];
  // A ConfigError propagates to the program, which prints its issues and exits 1.
  const config = loadConfig({ env, file, need });
  if (options.print) io.out(JSON.stringify(config, null, 2));
  io.out(`ok: ${config.configPath ?? 'config'}: ${config.queues.length} queue(s), ${config.agents.length} agent(s), `
    + `${config.freeswitch.nodes.length} FreeSWITCH node(s)`);
}

/** Registers `config check` on the program. */
export function registerConfig(program: Command, io: CliIo, env: Env | undefined): void {
  const config = program.command('config').description('configuration file tools');
  config.command('check')
    .description('validate a config file (default: $QCB_CONFIG) and the environment; print every problem')
    .argument('[file]', 'YAML config file')
    .option('--require-secrets', 'also require DATABASE_URL, REDIS_URL, an ESL password for every node and a PIN for every agent with pinRequired')
    .option('--print', 'print the resolved configuration (defaults filled in, secrets redacted)')
    .action((file: string | undefined, options: CheckOptions) => check(io, env, file, options));
}
