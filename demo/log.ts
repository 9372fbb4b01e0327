// The daemons' log in the demo: the terminal belongs to the live summary, so their lines go to a
// file (JSON, one a line, as in production) and the summary shows how many warnings and errors
// there were, with the last error. Without a file (the test) the lines are only counted.
import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from '../controller/log/logger.js';

export interface DemoLog {
  readonly logger: Logger;
  readonly file: string | null;
  readonly counts: { warn: number; error: number };
  /** The latest error lines (message and error text), newest last. */
  readonly errors: string[];
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

export function createDemoLog(file: string | null, level = 'info'): DemoLog {
  const counts = { warn: 0, error: 0 };
  const errors: string[] = [];
  const counter = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _enc, done) {
      if (info.level === 'warn') counts.warn += 1;
      if (info.level === 'error') {
        counts.error += 1;
        const err = info.err as { message?: unknown } | undefined;
        errors.push(`${String(info.message)}${err?.message ? `: ${String(err.message)}` : ''}`);
        if (errors.length > 5) errors.shift();
      }
      done();
    },
  });
  const transports: winston.transport[] = [new winston.transports.Stream({ stream: counter, level: 'warn' })];
  if (file !== null) transports.push(new winston.transports.File({ filename: file }));
  const logger = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp(), winston.format.json()),
    transports,
  });
  return {
    logger, file, counts, errors,
    close: () => new Promise<void>((resolve) => {
      logger.once('finish', () => resolve());
      logger.end();
      // A logger with nothing buffered may never say 'finish'.
      setTimeout(resolve, 500).unref();
    }),
  };
}
