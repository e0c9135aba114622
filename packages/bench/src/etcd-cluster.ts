import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A free TCP port on loopback (the kernel picks; closed again at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The etcd binary on PATH, or null. */
export function findEtcd(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  const binary = found.stdout.trim();
  return found.status === 0 && binary !== '' ? binary : null;
}

export function etcdVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout;
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
}

/**
 * A 3-member etcd on loopback, started by hand in a temp dir (never as a system service), with
 * etcd's defaults (WAL fsync on every commit). `stop()` SIGKILLs exactly the processes it started.
 */
export class EtcdCluster {
  private constructor(
    readonly clientUrls: string[],
    private readonly children: ChildProcess[],
  ) {}

  static async start(binary: string, dir: string, members = 3): Promise<EtcdCluster> {
    const ports: { client: number; peer: number }[] = [];
    for (let index = 0; index < members; index += 1) {
      ports.push({ client: await freePort(), peer: await freePort() });
    }
    const initialCluster = ports
      .map((port, index) => `m${index + 1}=http://127.0.0.1:${port.peer}`)
      .join(',');
    const children = ports.map((port, index) => {
      const name = `m${index + 1}`;
      const log = fs.openSync(path.join(dir, `${name}.log`), 'a');
      const child = spawn(
        binary,
        [
          `--name=${name}`,
          `--data-dir=${path.join(dir, name)}`,
          `--listen-client-urls=http://127.0.0.1:${port.client}`,
          `--advertise-client-urls=http://127.0.0.1:${port.client}`,
          `--listen-peer-urls=http://127.0.0.1:${port.peer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${port.peer}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-state=new',
          '--initial-cluster-token=evpaxos-bench',
          '--log-level=error',
        ],
        { stdio: ['ignore', log, log] },
      );
      fs.closeSync(log);
      return child;
    });
    const cluster = new EtcdCluster(
      ports.map((port) => `http://127.0.0.1:${port.client}`),
      children,
    );
    try {
      await cluster.waitHealthy(20_000);
    } catch (error) {
      cluster.stop();
      throw error;
    }
    return cluster;
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const healthy = await Promise.all(
        this.clientUrls.map(async (url) => {
          try {
            const response = await fetch(`${url}/health`);
            return ((await response.json()) as { health?: string }).health === 'true';
          } catch {
            return false;
          }
        }),
      );
      if (healthy.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error('etcd did not become healthy in time');
      await sleep(100);
    }
  }

  stop(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}
