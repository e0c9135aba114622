import * as fs from 'node:fs';
import * as path from 'node:path';

/** One parsed JSON log line, with the file (node) it came from. */
export interface TailedLine {
  readonly source: string;
  readonly record: Readonly<Record<string, unknown>>;
}

/**
 * Follows every `*.log` file of a directory: each poll reads what was appended since the last one
 * and yields complete JSON lines (a partial last line waits for the next poll). Bounded: at most
 * `chunkBytesMax` per file per poll, so a flood cannot stall the printer.
 */
export class LogTail {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();

  constructor(
    private readonly dir: string,
    private readonly chunkBytesMax = 4 * 1024 * 1024,
  ) {}

  poll(): TailedLine[] {
    const lines: TailedLine[] = [];
    let files: string[];
    try {
      files = fs.readdirSync(this.dir).filter((name) => name.endsWith('.log'));
    } catch {
      return lines;
    }
    for (const name of files.sort()) {
      const file = path.join(this.dir, name);
      const offset = this.offsets.get(file) ?? 0;
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch {
        continue;
      }
      if (size <= offset) continue;
      const length = Math.min(size - offset, this.chunkBytesMax);
      const buffer = Buffer.alloc(length);
      const fd = fs.openSync(file, 'r');
      try {
        fs.readSync(fd, buffer, 0, length, offset);
      } finally {
        fs.closeSync(fd);
      }
      this.offsets.set(file, offset + length);
      const text = (this.partial.get(file) ?? '') + buffer.toString('utf8');
      const parts = text.split('\n');
      this.partial.set(file, parts.pop() ?? '');
      const source = name.replace(/\.log$/, '');
      for (const part of parts) {
        if (!part.startsWith('{')) continue;
        try {
          lines.push({ source, record: JSON.parse(part) as Record<string, unknown> });
        } catch {
          // Not a JSON line (a stack trace, a banner): the timeline skips it; verify counts it.
        }
      }
    }
    return lines;
  }
}
