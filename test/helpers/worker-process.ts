// A dispatch worker in a process of its own, for chaos tests (SIGKILL must kill a real process)
// and the dispatch benchmark. It is `qcb run worker` minus the HTTP server and the config sync
// (the test has synced the config already), plus the WorkerOptions a test needs to shorten:
// BullMQ's lock and stalled-check times, the tick, the reconcile period.
//
//   node --import tsx test/helpers/worker-process.ts
//   env: QCB_CONFIG, DATABASE_URL, REDIS_URL, ESL_PASSWORD, and QCB_WORKER_OPTIONS (JSON of
//   WorkerOptions: prefix, tickSeconds, reconcileSeconds, bullmq, drainTimeoutMs, esl).
//
// stdout: one JSON line per log line (LOG_LEVEL, default warn), and `{"message":"worker ready"}`
// once startWorker() has resolved. SIGTERM/SIGINT stop it (drain) and exit 0.
import { loadConfig } from '../../controller/config/index.js';
import { createLogger } from '../../controller/log/logger.js';
import { startWorker, type WorkerOptions } from '../../controller/dispatch/worker.js';
import { onSignals } from '../../controller/ops/shutdown.js';

const config = loadConfig({ need: ['database', 'redis', 'esl'] });
const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', format: 'json' });
const options = JSON.parse(process.env.QCB_WORKER_OPTIONS ?? '{}') as WorkerOptions;
const worker = await startWorker(config, { ...options, logger: log });
onSignals(log, () => worker.stop());
process.stdout.write(`${JSON.stringify({ message: 'worker ready', pid: process.pid })}\n`);
