import { request } from 'node:http';

export interface HttpReply {
  readonly status: number;
  readonly body: unknown;
}

/** A reply body the launcher reads: at most this many bytes (the API's own limit is 1 MiB). */
const REPLY_BYTES_MAX = 64 * 1024 * 1024;

/**
 * One JSON request over HTTP/1.1 without keep-alive (`agent: false`): the launcher and the tests
 * must never hold sockets open that keep a process alive or outlive the node they point at.
 * Rejects on connection errors and after `timeoutMs`.
 */
export function httpJson(
  url: string,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  body: unknown,
  timeoutMs: number,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': payload.length }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > REPLY_BYTES_MAX) {
            req.destroy(new Error(`reply from ${url} is over ${REPLY_BYTES_MAX} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? null : JSON.parse(text);
          } catch {
            // Not JSON: hand back the text, the caller reports it.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new HttpTimeoutError(`${method} ${url}: no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (payload) req.write(payload);
    req.end();
  });
}

export class HttpTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpTimeoutError';
  }
}
