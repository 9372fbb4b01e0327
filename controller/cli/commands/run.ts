// `qcb run controller`: start a long-running process and stay up until SIGTERM/SIGINT.
import type { Command } from 'commander';
import { loadConfig, type Env } from '../../config/index.js';
import { createLogger } from '../../log/logger.js';
import { startController } from '../../ops/run-controller.js';
import { onSignals } from '../../ops/shutdown.js';
import type { CliIo } from '../io.js';

export function registerRun(program: Command, _io: CliIo, env?: Env): void {
  const run = program.command('run').description('run a daemon');
  run.command('controller')
    .description('the outbound-socket controller: one session per queued caller (FreeSWITCH `socket` app)')
    .action(async () => {
      const config = loadConfig({ env, need: ['database'] });
      const log = createLogger({ level: config.log.level, format: config.log.format });
      const running = await startController(config, log);
      onSignals(log, running.stop);
      // stay up: the ESL and HTTP servers keep the event loop alive
      await new Promise<void>(() => undefined);
    });
}
