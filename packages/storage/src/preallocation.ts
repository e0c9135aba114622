import * as fs from 'node:fs';

/** One chunk of zeros per size, shared: it is only ever read. */
const zeroChunks = new Map<number, Buffer>();

/**
 * Keeps written zeros ahead of an append-only file's end: when fewer than `chunkBytes / 2` bytes of
 * zeros are left after `endBytes`, writes `chunkBytes` more (synchronously, into the page cache; the
 * caller's next fdatasync makes them durable, with their allocation, once). Appends then overwrite
 * blocks the file already has, and a fdatasync flushes their data without a journal commit.
 * Returns the file's new size. A reader of such a file must treat zeros after the last record as
 * free space (log-format.ts `scanLog`).
 */
export function zeroFillAhead(
  fd: number,
  endBytes: number,
  fileBytes: number,
  chunkBytes: number,
): number {
  const size = Math.max(fileBytes, endBytes);
  if (chunkBytes <= 0 || size - endBytes >= chunkBytes / 2) return size;
  let zeros = zeroChunks.get(chunkBytes);
  if (zeros === undefined) {
    zeros = Buffer.alloc(chunkBytes);
    zeroChunks.set(chunkBytes, zeros);
  }
  writeAllSync(fd, zeros, size);
  return size + chunkBytes;
}

/** pwrite until every byte is in: a regular-file write can be short (a signal, a full disk). */
export function writeAllSync(fd: number, buffer: Buffer, position: number): void {
  let written = 0;
  while (written < buffer.length) {
    const bytesWritten = fs.writeSync(
      fd,
      buffer,
      written,
      buffer.length - written,
      position + written,
    );
    if (bytesWritten === 0) throw new Error(`write made no progress at byte ${position + written}`);
    written += bytesWritten;
  }
}
