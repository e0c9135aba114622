import * as fs from 'node:fs';
import * as path from 'node:path';

/** One JSON log line of one process (winston JSON format: message, level, timestamp, fields). */
export interface LogLine {
  /** The log file's base name, e.g. cp1.log. */
  readonly file: string;
  /** 1-based, for pointing a person at the line. */
  readonly lineNumber: number;
  /** The `node` field every runtime line carries; else the file name without .log. */
  readonly node: string;
  readonly message: string;
  /** winston's ISO timestamp as ms, or null. */
  readonly timestampMs: number | null;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface LogSet {
  readonly files: readonly string[];
  /** Every JSON line, file by file in name order, each file in its own order. */
  readonly lines: readonly LogLine[];
  /** Lines that were not a JSON object (a stack trace, a pretty line): skipped, counted. */
  readonly skippedLines: number;
}

/** Reads `<dir>/logs/*.log`. Throws an Error with one sentence if there is no logs dir. */
export function readLogDir(dir: string): LogSet {
  const logsDir = path.join(dir, 'logs');
  let names: string[];
  try {
    names = fs.readdirSync(logsDir).filter((name) => name.endsWith('.log'));
  } catch (error) {
    throw new Error(
      `No logs to verify: ${logsDir} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
    );
  }
  names.sort();
  const lines: LogLine[] = [];
  let skippedLines = 0;
  for (const name of names) {
    const text = fs.readFileSync(path.join(logsDir, name), 'utf8');
    const fileNode = name.slice(0, -'.log'.length);
    text.split('\n').forEach((raw, index) => {
      const trimmed = raw.trim();
      if (trimmed === '') return;
      const parsed = parseJsonObject(trimmed);
      if (parsed === null || typeof parsed.message !== 'string') {
        skippedLines += 1;
        return;
      }
      const timestamp = typeof parsed.timestamp === 'string' ? Date.parse(parsed.timestamp) : NaN;
      lines.push({
        file: name,
        lineNumber: index + 1,
        node: typeof parsed.node === 'string' ? parsed.node : fileNode,
        message: parsed.message,
        timestampMs: Number.isFinite(timestamp) ? timestamp : null,
        fields: parsed,
      });
    });
  }
  return { files: names, lines, skippedLines };
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  if (!text.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** `cp1.log:42`, for evidence. */
export function where(line: LogLine): string {
  return `${line.file}:${line.lineNumber}`;
}
