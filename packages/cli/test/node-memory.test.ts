import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  clusterUp,
  LEARNER_V8_FLAGS,
  NODE_V8_FLAGS,
  nodeMallocEnv,
  readProcesses,
} from '../src/launcher';

// docs/CLUSTER.md, "Memory": what a node process runs and with which allocator settings.
const cli = path.resolve(__dirname, '../..');
const bin = path.join(cli, 'bin', 'evpaxos.js');
const bundleDir = path.join(cli, 'dist', 'bundle');

/** One central and a few charge points, without fsync, in a fresh temporary dir. */
async function smallCluster(options: { chargePoints: number; acceptors?: string[] }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-node-memory-'));
  const cluster = await clusterUp({
    dir,
    basePort: 0,
    centrals: 1,
    unsafeNoFsync: true,
    readyTimeoutMs: 60_000,
    ...options,
  });
  return { dir, cluster };
}

describe('node memory: the role bundles and the allocator settings', () => {
  it("gives every node glibc's allocator settings, a value in the launcher's own environment first", () => {
    expect(nodeMallocEnv({})).to.deep.equal({
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '131072',
      MALLOC_TRIM_THRESHOLD_: '131072',
    });
    expect(nodeMallocEnv({ MALLOC_ARENA_MAX: '4' })).to.include({
      MALLOC_ARENA_MAX: '4',
      MALLOC_TRIM_THRESHOLD_: '131072',
    });
  });

  for (const role of ['charge-point', 'central']) {
    it(`builds dist/bundle/${role}.js: our packages from their TypeScript with what the role never imports left out, dependencies' JSON (OCPP 2.0.1's schemas only) and node-forge outside, a source map`, () => {
      const bundle = fs.readFileSync(path.join(bundleDir, `${role}.js`), 'utf8');
      const required = [...bundle.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]!);
      // Our packages are bundled; only the dashboard's package.json is resolved (never loaded).
      expect(required.filter((name) => name.startsWith('@evpaxos/'))).to.satisfy(
        (names: string[]) => names.every((name) => name === '@evpaxos/dashboard/package.json'),
      );
      expect(required).to.include('ocpp-rpc/lib/schemas/ocpp2_0_1.json');
      // ocpp-rpc's strict validators: OCPP 2.0.1's only (scripts/bundle.mjs).
      expect(required).to.not.include('ocpp-rpc/lib/schemas/ocpp1_6.json');
      expect(required).to.not.include('ocpp-rpc/lib/schemas/ocpp2_1.json');
      expect(bundle).to.match(new RegExp(`//# sourceMappingURL=${role}\\.js\\.map\\s*$`));
      const map = JSON.parse(fs.readFileSync(path.join(bundleDir, `${role}.js.map`), 'utf8')) as {
        sources: string[];
      };
      // The map names every file inside: no compiled dist/ of ours, no node-forge (no node issues
      // certificates; a role that did would require it from node_modules), one Ajv (ocpp-rpc's).
      const inside = map.sources.map((source) => path.resolve(bundleDir, source));
      const packages = path.resolve(cli, '..');
      expect(
        inside.filter((file) => file.startsWith(packages) && file.includes('/dist/')),
      ).to.deep.equal([]);
      expect(inside.filter((file) => file.includes('/node_modules/node-forge/'))).to.deep.equal([]);
      expect(inside.filter((file) => file.includes('/node_modules/ajv/'))).to.satisfy(
        (files: string[]) => files.every((file) => file.includes('/ocpp-rpc/node_modules/ajv/')),
      );
      // Paths relative to the bundle's directory, back to the TypeScript files themselves.
      const runtimeSources = map.sources
        .map((source) => path.resolve(bundleDir, source))
        .filter((file) => file.startsWith(path.resolve(cli, '..', 'runtime', 'src')));
      expect(runtimeSources).to.have.length.greaterThan(0);
      for (const file of runtimeSources) expect(fs.existsSync(file), file).to.equal(true);
    });
  }

  it('runs the role bundle for `evpaxos charge-point`, the compiled sources for other commands', () => {
    const role = spawnSync(process.execPath, [bin, 'charge-point', '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(role.status, role.stderr).to.equal(0);
    expect(role.stdout).to.match(/^evpaxos charge-point\n/);
    // A bad number is refused the same way by the bundle as by the full CLI (exit 2, one sentence).
    for (const args of [
      ['charge-point', '--tick-ms', 'abc'],
      ['submit', '{}', '--timeout-ms', 'abc'],
    ]) {
      const run = spawnSync(process.execPath, [bin, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.match(/must be a number \(got "abc"\)/);
    }
  });

  it('starts every node with those settings, and records them for restarts (processes.json env)', async function () {
    this.timeout(120_000);
    const { dir, cluster } = await smallCluster({ chargePoints: 1 });
    try {
      for (const node of readProcesses(dir).nodes) {
        expect(node.env, node.id).to.include(nodeMallocEnv());
        const environ = fs.readFileSync(`/proc/${node.pid}/environ`, 'utf8').split('\0');
        for (const [name, value] of Object.entries(nodeMallocEnv())) {
          expect(environ, node.id).to.include(`${name}=${value}`);
        }
      }
    } finally {
      await cluster.down();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('collects its start-up garbage once, logged as startup-gc, where the launcher exposed gc', async function () {
    this.timeout(120_000);
    expect(NODE_V8_FLAGS).to.include('--expose-gc');
    const { dir, cluster } = await smallCluster({ chargePoints: 1 });
    try {
      for (const node of readProcesses(dir).nodes) {
        const deadline = Date.now() + 60_000;
        let lines: Record<string, unknown>[] = [];
        while (lines.length === 0) {
          if (Date.now() > deadline) throw new Error(`${node.id}: no startup-gc line`);
          await new Promise((resolve) => setTimeout(resolve, 250));
          lines = fs
            .readFileSync(node.logFile, 'utf8')
            .split('\n')
            .filter((line) => line.includes('"startup-gc"'))
            .map((line) => JSON.parse(line) as Record<string, unknown>);
        }
        expect(lines, node.id).to.have.length(1);
        const [line] = lines as [Record<string, number>];
        expect(line.heapUsedAfterMiB, node.id).to.be.below(line.heapUsedBeforeMiB as number);
        expect(line.gcMs, node.id).to.be.at.least(0);
      }
    } finally {
      await cluster.down();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("starts the charge points that only learn with the learners' V8 flags, and no other node", async function () {
    this.timeout(120_000);
    const { dir, cluster } = await smallCluster({ chargePoints: 3, acceptors: ['cp1'] });
    try {
      expect(LEARNER_V8_FLAGS).to.include('--jitless');
      for (const node of readProcesses(dir).nodes) {
        const learner = node.id === 'cp2' || node.id === 'cp3';
        const beforeBin = node.args.slice(0, node.args.indexOf(node.role) - 1);
        const cmdline = fs.readFileSync(`/proc/${node.pid}/cmdline`, 'utf8').split('\0');
        for (const flag of LEARNER_V8_FLAGS) {
          expect(beforeBin.includes(flag), `${node.id} ${flag}`).to.equal(learner);
          expect(cmdline.includes(flag), `${node.id} runs with ${flag}`).to.equal(learner);
        }
      }
      // The site commits with them (clusterUp already waited for every node to answer).
      await cluster.submit({ type: 'Noop' });
    } finally {
      await cluster.down();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
