import winston from 'winston';

/** Fields that identify what a log line is about; child loggers carry them on every line. */
export interface LogContext {
  callUuid?: string;
  queue?: string;
  entryId?: string | number;
  jobId?: string;
  node?: string;
  component?: string;
  [key: string]: unknown;
}

export type Logger = winston.Logger;

export interface LoggerOptions {
  /** `json` for production (one object a line), `pretty` for a terminal. */
  format?: 'json' | 'pretty';
  level?: string;
  /** Silence output entirely (tests that assert on behaviour, not logs). */
  silent?: boolean;
}

/**
 * Makes the process logger. JSON in production, colourised one-liners in a terminal.
 * Errors passed as metadata are logged with their stack.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const base = winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp());
  const pretty = winston.format.printf(({ level, message, timestamp, stack, ...meta }) => {
    const rest = Object.keys(meta).length ? ' ' + JSON.stringify(meta, errorReplacer) : '';
    return `${String(timestamp)} ${level} ${String(message)}${rest}${stack ? '\n' + String(stack) : ''}`;
  });
  return winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    format: format === 'json'
      ? winston.format.combine(base, winston.format.json({ replacer: errorReplacer }))
      : winston.format.combine(base, winston.format.colorize(), pretty),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}

/** A logger that drops everything: the default for library code and tests. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}

/** A child logger whose lines all carry `context` (one per call, per job, per connection). */
export function childLogger(parent: Logger, context: LogContext): Logger {
  return parent.child(context);
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack, ...(value as object) };
  }
  return value;
}
