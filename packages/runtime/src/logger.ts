import * as winston from 'winston';
import type { LogLevel } from './constants';

/** The logger every adapter takes (transport, storage, runtime): four levels, message + fields. */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Added to every line, e.g. { node: 'cp1' }. */
  readonly fields?: Record<string, unknown>;
  /**
   * Coloured readable lines for a person at a terminal; JSON lines otherwise (a log file, the
   * launcher, `evpaxos verify`). Default: whether stdout is a TTY.
   */
  readonly pretty?: boolean;
}

/** triple-beam's MESSAGE: the finished line a winston transport writes. */
const MESSAGE = Symbol.for('message');

/**
 * winston's `json()` runs every line through safe-stable-stringify with a replacer, which sorted
 * keys and cost ~8 % of a charge point's CPU under load (one "decided" line per slot, ~64 commands
 * each; docs/BENCHMARKS.md). V8's own JSON.stringify is several times faster; a line it cannot
 * write (a cycle, a BigInt) still goes through `json()`.
 */
const fastJson = winston.format((info) => {
  const fallback = winston.format.json();
  try {
    // level, message and time first: what a person scanning the file reads.
    const { level, message, timestamp, ...fields } = info;
    (info as unknown as Record<symbol, unknown>)[MESSAGE] = JSON.stringify({
      level,
      message,
      timestamp,
      ...fields,
    });
    return info;
  } catch {
    return fallback.transform(info, fallback.options);
  }
});

/** A winston logger writing to stdout, adapted to the `Logger` interface. */
export function createLogger(options: LoggerOptions): Logger & { close(): void } {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  const format = pretty
    ? winston.format.combine(
        winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
        winston.format.colorize(),
        winston.format.printf((info) => {
          const { timestamp, level, message, ...fields } = info;
          const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
          return `${String(timestamp)} ${level} ${String(message)}${rest}`;
        }),
      )
    : winston.format.combine(winston.format.timestamp(), fastJson());
  const logger = winston.createLogger({
    level: options.level,
    format,
    defaultMeta: options.fields ?? {},
    // Every level to stdout: the launcher collects stdout and stderr into one file anyway, and one
    // stream keeps the lines in order.
    transports: [new winston.transports.Console()],
  });
  return {
    debug: (message, meta) => logger.debug(message, meta),
    info: (message, meta) => logger.info(message, meta),
    warn: (message, meta) => logger.warn(message, meta),
    error: (message, meta) => logger.error(message, meta),
    close: () => logger.close(),
  };
}

/** Drops everything: for tests and embedded use. */
export const silentLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});
