import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ClientJob } from './client';

const clientScript = path.join(__dirname, 'client.js');

/** Runs one client job in its own process and resolves with the JSON line it prints. */
export function runJob<Result>(job: ClientJob, timeoutMs = 120_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [clientScript, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || line === '') {
        reject(new Error(`bench client (${job.mode}) exited ${code}: ${err.trim().slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line) as Result);
    });
  });
}

/** Starts a long-running job (the echo server) and resolves with its first line and the process. */
export function startServerJob<Ready>(
  job: ClientJob,
): Promise<{ ready: Ready; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [clientScript, JSON.stringify(job)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve({ ready: JSON.parse(out.slice(0, newline)) as Ready, child });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`server job exited ${code} before it was ready`)));
  });
}

/** A bare commit path (bare-commit.ts) running in child processes: its /client URL, and a stop. */
export interface BareCommitPath {
  readonly url: string;
  /** GET /stats of the proposer and every acceptor, in the shape of a node's. */
  readonly statsUrls: readonly string[];
  stop(): void;
}

/** Starts `acceptors` bare acceptors logging to `dir`, then the bare proposer connected to them. */
export async function startBareCommitPath(acceptors: number, dir: string): Promise<BareCommitPath> {
  const children: ChildProcess[] = [];
  const stop = (): void => {
    for (const child of children) {
      child.stdin?.end();
      child.kill('SIGKILL');
    }
  };
  try {
    const ports: number[] = [];
    for (let index = 0; index < acceptors; index += 1) {
      const { ready, child } = await startServerJob<{ port: number }>({
        mode: 'bare-acceptor',
        dir,
      });
      children.push(child);
      ports.push(ready.port);
    }
    const { ready, child } = await startServerJob<{ port: number }>({
      mode: 'bare-proposer',
      acceptorPorts: ports,
    });
    children.push(child);
    const statsUrls = [ready.port, ...ports].map((port) => `http://127.0.0.1:${port}/stats`);
    return { url: `ws://127.0.0.1:${ready.port}/client`, statsUrls, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
