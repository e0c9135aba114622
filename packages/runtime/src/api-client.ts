/**
 * The one client of the nodes' HTTP API (docs/CLUSTER.md): the launcher, the CLI, the dashboard,
 * the EV emulator, the benchmark and the tests all call a node through `httpJson`, so the API
 * token goes with every request that needs it and a new command gets it by using this.
 */
import * as fs from 'node:fs';
import { request } from 'node:http';
import * as path from 'node:path';
import { API_TOKEN_ENV, API_TOKEN_FILE, apiAuthHeaders, apiToken } from './api-auth';

export interface HttpReply {
  readonly status: number;
  readonly body: unknown;
}

/** A reply body the client reads: at most this many bytes (the API's own limit is 1 MiB). */
const REPLY_BYTES_MAX = 64 * 1024 * 1024;

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * One JSON request over HTTP/1.1 without keep-alive (`agent: false`): the launcher and the tests
 * must never hold sockets open that keep a process alive or outlive the node they point at.
 * `token` (the cluster's API token) authenticates it: every method but GET needs one. Rejects on
 * connection errors and after `timeoutMs`.
 */
export function httpJson(
  url: string,
  method: HttpMethod,
  body: unknown,
  timeoutMs: number,
  token?: string,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: {
          ...apiAuthHeaders(token),
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': payload.length }
            : {}),
        },
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

/** Writes `<dir>/api-token` (readable by its owner only), beside processes.json. */
export function writeApiTokenFile(dir: string, token: string): void {
  fs.writeFileSync(path.join(dir, API_TOKEN_FILE), `${token}\n`, { mode: 0o600 });
  // writeFileSync keeps the mode of a file that exists: make sure of it.
  fs.chmodSync(path.join(dir, API_TOKEN_FILE), 0o600);
}

/**
 * The API token a client uses: EVPAXOS_API_TOKEN if set, else the launcher dir's api-token file,
 * else the one derived from a cluster file's secret (`clusterFile`, or `<dir>/cluster.json`), else
 * from the node's own environment (EVPAXOS_SECRET or EVPAXOS_SECRET_FILE, and EVPAXOS_CLUSTER_ID:
 * a script run inside a node's container). Undefined when none of them is there: read-only
 * requests work without it.
 */
export function readApiToken(dir?: string, clusterFile?: string): string | undefined {
  const fromEnv = process.env[API_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv.trim();
  if (dir !== undefined) {
    try {
      const text = fs.readFileSync(path.join(dir, API_TOKEN_FILE), 'utf8').trim();
      if (text !== '') return text;
    } catch {
      // No token file (a dir from before tokens): derive it from the cluster file.
    }
  }
  const file = clusterFile ?? (dir === undefined ? undefined : path.join(dir, 'cluster.json'));
  if (file === undefined) return tokenFromEnvironment();
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (typeof parsed.secret === 'string' && typeof parsed.clusterId === 'string') {
      return apiToken(parsed.secret, parsed.clusterId);
    }
  } catch {
    // No readable cluster file: try the environment.
  }
  return tokenFromEnvironment();
}

function tokenFromEnvironment(): string | undefined {
  const clusterId = process.env.EVPAXOS_CLUSTER_ID;
  let secret = process.env.EVPAXOS_SECRET;
  const secretFile = process.env.EVPAXOS_SECRET_FILE;
  if ((secret === undefined || secret === '') && secretFile !== undefined && secretFile !== '') {
    try {
      // As the node reads it (config.ts): trailing newlines are not part of the secret.
      secret = fs.readFileSync(secretFile, 'utf8').replace(/[\r\n]+$/, '');
    } catch {
      return undefined;
    }
  }
  if (secret === undefined || secret === '' || clusterId === undefined || clusterId === '') {
    return undefined;
  }
  return apiToken(secret, clusterId);
}
