import { performance } from 'node:perf_hooks';
import * as winston from 'winston';
import { WarningThrottle } from '@evpaxos/transport';
import { logLevels, logRepeatLimits, type LogLevel } from './constants';

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

/**
 * JSON lines, one `write` each, without winston's stream pipeline. Under load a node logged one
 * "decided" line per slot (now one a second, docs/CLUSTER.md); through winston (DerivedLogger →
 * Transform → pipe → Console transport, which also schedules a setImmediate per line) that cost
 * 30 µs a line with one command and 64 µs with 64 in a micro-benchmark here, against 4 and 18 µs
 * written directly — 17 % of a charge point's CPU at concurrency 256 (docs/BENCHMARKS.md). Lines
 * logged in one synchronous run of the event loop (a node's trace lines of one frame) go out
 * together in one `write`, at the end of that run (a microtask): one system call instead of one
 * per line. stdout to a file or pipe is synchronous on Linux, so a line is in the file by the end
 * of the run that logged it (the client answers of that run are queued just ahead of it:
 * cluster-node.ts `deliver`); warn and error lines, `close()` and process exit write at once.
 */
class JsonLineLogger implements Logger {
  private readonly levelRank: number;
  /** Lines of this run of the event loop, not yet written. */
  private pending: string[] = [];
  private readonly flushPending = (): void => this.flush();

  constructor(
    level: LogLevel,
    private readonly fields: Readonly<Record<string, unknown>>,
    private readonly out: (line: string) => void,
  ) {
    this.levelRank = logLevels.indexOf(level);
  }

  debug(message: string, meta?: Record<string, unknown>): void {
    this.log('debug', message, meta);
  }

  info(message: string, meta?: Record<string, unknown>): void {
    this.log('info', message, meta);
  }

  warn(message: string, meta?: Record<string, unknown>): void {
    this.log('warn', message, meta);
  }

  error(message: string, meta?: Record<string, unknown>): void {
    this.log('error', message, meta);
  }

  close(): void {
    this.flush();
  }

  /** Writes the pending lines in one `write`. */
  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join('');
    this.pending = [];
    pendingLoggers.delete(this);
    this.out(text);
  }

  private log(level: LogLevel, message: string, meta?: Record<string, unknown>): void {
    if (logLevels.indexOf(level) > this.levelRank) return;
    const timestamp = new Date().toISOString();
    let line: string;
    try {
      // level, message and time first: what a person scanning the file reads.
      line = JSON.stringify({ level, message, timestamp, ...this.fields, ...meta });
    } catch (error) {
      // A cycle or a BigInt in the fields: keep the line, say why its fields are missing.
      line = JSON.stringify({
        level,
        message,
        timestamp,
        ...this.fields,
        logError: `fields not serializable: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    this.pending.push(`${line}\n`);
    if (level === 'warn' || level === 'error') this.flush();
    else if (this.pending.length === 1) {
      pendingLoggers.add(this);
      queueMicrotask(this.flushPending);
    }
  }
}

/** Loggers with pending lines: written if the process exits first (process.exit too). */
const pendingLoggers = new Set<JsonLineLogger>();
process.on('exit', () => {
  for (const logger of pendingLoggers) logger.flush();
});

/**
 * A logger writing to stdout: JSON lines for a log file, the launcher and `evpaxos verify`; winston's
 * coloured readable lines for a person at a terminal. Warn and error lines are bounded per message
 * (`boundRepeats`): every package logs through this, so no client can fill the disk.
 */
export function createLogger(
  options: LoggerOptions,
  out: (line: string) => void = (line) => process.stdout.write(line),
): Logger & { close(): void } {
  return boundRepeats(createUnboundedLogger(options, out));
}

/**
 * Bounded logging (docs/LIMITS.md, "Logging"): at most `logRepeatLimits.warningsPerCauseMax`
 * warn (and as many error) lines of one message per `intervalMs`; the rest are counted, and one
 * line `N more '<message>' warnings not written` follows when the interval ends. The message is
 * the cause: fields (a remote address, a reason) vary, the message names what happened. Debug and
 * info lines pass: they record the node's own work (the decided record), not a client's.
 */
export function boundRepeats(
  inner: Logger & { close(): void },
  nowMs: () => number = () => performance.now(),
): Logger & { close(): void } {
  const throttle = new WarningThrottle(inner, logRepeatLimits, nowMs, '');
  return {
    debug: (message, meta) => inner.debug(message, meta),
    info: (message, meta) => inner.info(message, meta),
    warn: (message, meta) => throttle.log('warn', message, message, meta ?? {}),
    error: (message, meta) => throttle.log('error', message, message, meta ?? {}),
    close: () => {
      throttle.flush();
      inner.close();
    },
  };
}

function createUnboundedLogger(
  options: LoggerOptions,
  out: (line: string) => void,
): Logger & { close(): void } {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  if (!pretty) return new JsonLineLogger(options.level, options.fields ?? {}, out);
  const logger = winston.createLogger({
    level: options.level,
    format: winston.format.combine(
      winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
      winston.format.colorize(),
      winston.format.printf((info) => {
        const { timestamp, level, message, ...fields } = info;
        const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
        return `${String(timestamp)} ${level} ${String(message)}${rest}`;
      }),
    ),
    defaultMeta: options.fields ?? {},
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
