import { execFile } from 'node:child_process';
import type { StatusView, SubmitView } from '@evpaxos/runtime';
import { httpJson } from '../src/launcher/http-client';
import { waitFor } from './docker-harness';

/**
 * What docker-swarm.test.ts needs of a real Docker engine: the docker CLI as a promise, the
 * stack's task containers, every node's /status from inside the site's overlay network, and a
 * client that submits through the centrals' published HTTP ports.
 */

export interface DockerResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `docker …`; never rejects (the caller reads the code). Output is capped by execFile. */
export function docker(
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<DockerResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'docker',
      [...args],
      {
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr: stderr || (error?.message ?? '') });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `docker …` that must succeed: rejects with the command and its stderr otherwise. */
export async function dockerOk(
  args: readonly string[],
  options: Parameters<typeof docker>[1] = {},
): Promise<string> {
  const result = await docker(args, options);
  if (result.code !== 0) {
    throw new Error(`docker ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout.trim();
}

/** The running container of a stack's service (one task per service), or undefined. */
export async function taskContainer(stack: string, service: string): Promise<string | undefined> {
  const out = await dockerOk([
    'ps',
    '-q',
    '--filter',
    `label=com.docker.swarm.service.name=${stack}_${service}`,
    '--filter',
    'status=running',
  ]);
  return out.split('\n').find((line) => line !== '');
}

/**
 * Every node's GET /status, fetched over real HTTP inside the overlay network from `via`'s
 * container, by the host names and ports of its own EVPAXOS_NODES (the list the nodes run with).
 * A node that does not answer maps to `{ error }`.
 */
const statusScript = `
const specs = (process.env.EVPAXOS_NODES || '').split(',').map((s) => /^([^=]+)=[^@]+@([^:]+):\\d+:(\\d+)/.exec(s.trim())).filter(Boolean);
const out = Object.fromEntries(specs.map(([, id]) => [id, { error: 'no answer within 8000 ms' }]));
const print = () => { console.log(JSON.stringify(out)); process.exit(0); };
setTimeout(print, 8000);
Promise.all(specs.map(([, id, host, port]) =>
  fetch('http://' + host + ':' + port + '/status', { signal: AbortSignal.timeout(6000) })
    .then((r) => r.json()).then((s) => { out[id] = s; }, (e) => { out[id] = { error: String((e.cause && e.cause.code) || e.message) }; })
)).then(print);
`;

export type NodeStatus = StatusView | { readonly error: string };

export function isUp(status: NodeStatus | undefined): status is StatusView {
  return status !== undefined && !('error' in status);
}

export async function siteStatus(container: string): Promise<Record<string, NodeStatus>> {
  const out = await dockerOk(['exec', container, 'node', '-e', statusScript], {
    timeoutMs: 30_000,
  });
  return JSON.parse(out) as Record<string, NodeStatus>;
}

/**
 * A client of the site from outside it: POST /submit to a central's published HTTP port,
 * following a 421 to the central it names (by the published port of that id) and retrying the
 * same (clientId, seq) until it is acknowledged, so a command is applied once however often it is
 * sent (docs/CLUSTER.md).
 */
export class StackClient {
  private seq = 0;

  constructor(
    private readonly publishedHttpPorts: Readonly<Record<string, number>>,
    private readonly clientId: string,
    /** The cluster's API token (docs/CLUSTER.md, "Authentication"): /submit needs it. */
    private readonly apiToken: string,
  ) {}

  async submit(
    payload: unknown,
    timeoutMs: number,
    prefer?: string,
  ): Promise<SubmitView & { nodeId: string }> {
    this.seq += 1;
    const body = { payload, clientId: this.clientId, seq: this.seq };
    const ids = Object.keys(this.publishedHttpPorts);
    let target = prefer ?? ids[0];
    let attempt = 0;
    return waitFor(`command ${this.seq} acknowledged`, timeoutMs, async () => {
      attempt += 1;
      const nodeId = target ?? ids[0];
      const port = this.publishedHttpPorts[nodeId as string];
      // Next time: the central a 421 names, else the other one.
      target = ids[attempt % ids.length];
      const reply = await httpJson(
        `http://127.0.0.1:${port}/submit`,
        'POST',
        body,
        10_000,
        this.apiToken,
      );
      if (reply.status === 200) return { ...(reply.body as SubmitView), nodeId: nodeId as string };
      const leaderId = (reply.body as { leaderId?: string } | null)?.leaderId;
      if (reply.status === 421 && leaderId !== undefined && leaderId in this.publishedHttpPorts) {
        target = leaderId;
      }
      return undefined;
    });
  }
}
