// `qcb run controller` / `qcb run worker`: start a long-running process and stay up until SIGTERM/SIGINT.
import type { Command } from 'commander';
import { loadConfig, type Env } from '../../config/index.js';
import { createLogger } from '../../log/logger.js';
import { startController } from '../../ops/run-controller.js';
import { startWorkerDaemon } from '../../ops/run-worker.js';
import { startAdmin } from '../../ops/run-admin.js';
import { onSignals } from '../../ops/shutdown.js';
import { CliExit, type CliIo } from '../io.js';
import { DEFAULT_PREFIX } from '../../dispatch/jobs.js';

export function registerRun(program: Command, _io: CliIo, env?: Env): void {
  const run = program.command('run').description('run a daemon');
  run.command('controller')
    .description('the outbound-socket controller: one session per queued caller (FreeSWITCH `socket` app)')
    .action(async () => {
      // agentPins: the controller answers the agents' feature codes and checks their PINs.
      const config = loadConfig({ env, need: ['database', 'agentPins'] });
      const log = createLogger({ level: config.log.level, format: config.log.format });
      const running = await startController(config, log);
      onSignals(log, running.stop);
      // Up until a stop: a signal (onSignals exits) or a drain asked through the admin service.
      await running.stopped;
      log.info('controller drained and stopped');
      process.exit(0);
    });
  run.command('admin')
    .description('the admin service: HTTP API (/api/v1), supervisor page, floor metrics (QCB_API_TOKEN guards it)')
    .action(async () => {
      const config = loadConfig({ env, need: ['database'] });
      const log = createLogger({ level: config.log.level, format: config.log.format });
      const running = await startAdmin(config, log);
      onSignals(log, running.stop);
      await new Promise<void>(() => undefined);
    });
  run.command('worker')
    .description('the dispatch worker: matches places with agents, rings them and bridges (BullMQ jobs, inbound ESL)')
    .option('--bullmq-prefix <prefix>', 'Redis key prefix of the BullMQ queues (stacks sharing one Redis use their own)', DEFAULT_PREFIX)
    .action(async (opts: { bullmqPrefix: string }) => {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(opts.bullmqPrefix)) throw new CliExit(2, '--bullmq-prefix: letters, digits, "_" and "-" only');
      const config = loadConfig({ env, need: ['database', 'redis', 'esl'] });
      const log = createLogger({ level: config.log.level, format: config.log.format });
      const running = await startWorkerDaemon(config, log, { prefix: opts.bullmqPrefix });
      onSignals(log, running.stop);
      // stay up: BullMQ, ESL and the HTTP server keep the event loop alive
      await new Promise<void>(() => undefined);
    });
}
