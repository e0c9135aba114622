import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DockerSite,
  BUILD_TIMEOUT_MS,
  cleanupOnInterrupt,
  composeCommand,
  dockerSuiteSite,
  root,
  run,
  siteLogsTail,
  type RunResult,
} from './docker-harness';

/**
 * Every lab's "Run it — Docker" block run as the lab prints it, then the lab's own Docker check
 * (`node scripts/lab-check.mjs --docker …` from its "Check" section), which must pass. The labs
 * run in LANES lanes at once, each lane its labs one after the other in a copy of the repository
 * of its own (lab 7 edits evpaxos.env; the copy's is put back before each lab) under a project
 * name and host-port prefix of its own: each lab's first line, `docker compose down -v && docker
 * compose up -d --build`, takes its lane's previous site down and starts its own from the run's
 * image (the build is all cache). One lane unless EVPAXOS_DOCKER_LAB_LANES asks for more. Each lane's last site is taken down with its volumes at the end. Where only
 * Compose 1.29 is installed, `docker compose` is `docker-compose` (docs/DOCKER.md): a shell
 * function says so, the lab text is not edited. Commands a lab expects to fail (a submit with no
 * quorum) may exit 1; none may be missing (127) or refused as bad input (2).
 */

const labsDir = path.join(root, 'docs/labs');
const labs = fs
  .readdirSync(labsDir)
  .filter((name) => /^\d\d-.*\.md$/.test(name))
  // A lab the compose file cannot run says so and has no Docker block (lab 9: spare charge points).
  .filter((name) => /^## Run it — Docker/m.test(fs.readFileSync(path.join(labsDir, name), 'utf8')))
  .sort();

/** The first ```sh block after a heading that matches, as text. */
function block(markdown: string, heading: RegExp): string | undefined {
  const start = markdown.search(heading);
  if (start < 0) return undefined;
  const rest = markdown.slice(start);
  return /```sh\n([\s\S]*?)```/.exec(rest)?.[1];
}

/** The tracked and untracked (not ignored) files of the repository, copied to dir. */
function copyRepo(dir: string): void {
  const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  }).stdout.split('\0');
  for (const file of files.filter((name) => name !== '')) {
    const from = path.join(root, file);
    if (!fs.existsSync(from)) continue; // deleted in the work tree
    fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, file));
    fs.chmodSync(path.join(dir, file), fs.statSync(from).mode);
  }
}

/** The bash script that runs a lab's commands and then its check, marking failures. */
function labScript(commands: string, check: string): string {
  const v1 = composeCommand()?.[0] === 'docker-compose';
  return [
    'set -u',
    // A command that fails is recorded with its exit code; the lab goes on, as a user would.
    'trap \'echo "LAB-EXIT $? $BASH_COMMAND" >&2\' ERR',
    ...(v1
      ? [
          'docker() { if [ "$1" = compose ]; then shift; docker-compose "$@"; else command docker "$@"; fi; }',
        ]
      : []),
    commands,
    `if ${check}; then echo "LAB-CHECK-EXIT 0"; else echo "LAB-CHECK-EXIT 1"; fi`,
  ].join('\n');
}

/**
 * Lanes at once: EVPAXOS_DOCKER_LAB_LANES, else 1 (one after the other). Measured on the 2-core
 * machine: the labs are CPU-bound there, not waiting (starting eight containers and their node
 * processes), so two lanes ran each lab about twice as slowly and the suite took 622 s against
 * 599 s in one lane (docs/DOCKER.md); a machine with more cores can set more.
 */
const LANES = Math.max(1, Number(process.env.EVPAXOS_DOCKER_LAB_LANES ?? 1) || 1);
/** A lab's bound (its script is killed after it); a lane runs a few. */
const LAB_TIMEOUT_MS = 540_000;

/** What a lab's run gave: its output, how long it took, and its site's logs when it failed. */
interface LabRun {
  check: string;
  result: RunResult;
  ms: number;
  lane: number;
  logsOnFailure: string;
}

interface Lab {
  name: string;
  commands: string;
  check: string;
  /** Seconds it is expected to take, for balancing the lanes (its sleeps plus a start). */
  estimateS: number;
}

function readLab(name: string): Lab {
  const markdown = fs.readFileSync(path.join(labsDir, name), 'utf8');
  const commands = block(markdown, /^## Run it — Docker/m);
  expect(commands, `${name} has a Docker block`).to.be.a('string');
  const check = block(markdown, /^## Check/m)
    ?.split('\n')
    .find((line) => line.includes('lab-check.mjs --docker'))
    ?.replace(/\s+#.*$/, '');
  expect(check, `${name} has a Docker check`).to.be.a('string');
  const sleeps = [...commands!.matchAll(/^sleep (\d+)/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
  const lines = commands!.split('\n').filter((line) => line.trim() !== '').length;
  return { name, commands: commands!, check: check!, estimateS: 30 + sleeps + 4 * lines };
}

/** Whether a lab's output shows a failure the test asserts on (for keeping its site's logs). */
function labFailed(output: string): boolean {
  return !/LAB-CHECK-EXIT 0/.test(output) || /^LAB-EXIT (127|2) /m.test(output);
}

/**
 * The labs spread over lanes (longest first, each to the lane with the least work so far), each
 * lane running its labs in order in its own copy and site; result(lab) is that lab's run.
 */
class LabLanes {
  readonly sites: DockerSite[] = [];
  readonly dirs: string[] = [];
  private readonly dropDirCleanups: (() => void)[] = [];
  private readonly runs = new Map<string, Promise<LabRun>>();

  async start(context: Mocha.Context, labs: readonly Lab[]): Promise<void> {
    const lanes: Lab[][] = Array.from({ length: Math.min(LANES, labs.length) }, () => []);
    const load = lanes.map(() => 0);
    for (const lab of [...labs].sort((a, b) => b.estimateS - a.estimateS)) {
      const lane = load.indexOf(Math.min(...load));
      lanes[lane]!.push(lab);
      load[lane]! += lab.estimateS;
    }
    const prefixes = new Set<string>();
    for (const [index, laneLabs] of lanes.entries()) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-lab-'));
      this.dirs.push(dir);
      this.dropDirCleanups.push(
        cleanupOnInterrupt(() => fs.rmSync(dir, { recursive: true, force: true })),
      );
      copyRepo(dir);
      const site = await dockerSuiteSite(context, `evpl${process.pid}l${index}`, {}, dir, prefixes);
      prefixes.add(site.portPrefix);
      this.sites.push(site);
      // In the lab's file order within the lane, each after the one before.
      laneLabs.sort((a, b) => a.name.localeCompare(b.name));
      let previous: Promise<unknown> = Promise.resolve();
      for (const lab of laneLabs) {
        const runIt = previous.then(() => this.runLab(lab, index, site, dir));
        this.runs.set(lab.name, runIt);
        previous = runIt.catch(() => undefined);
      }
    }
  }

  result(name: string): Promise<LabRun> {
    const run = this.runs.get(name);
    if (run === undefined) throw new Error(`${name} was not started`);
    return run;
  }

  private async runLab(lab: Lab, lane: number, site: DockerSite, dir: string): Promise<LabRun> {
    // A lab before this one may have edited it (lab 7 adds quorum sizes).
    fs.copyFileSync(path.join(root, 'evpaxos.env'), path.join(dir, 'evpaxos.env'));
    const started = Date.now();
    const result = await run('bash', ['-c', labScript(lab.commands, lab.check)], {
      env: site.env,
      cwd: dir,
      timeoutMs: LAB_TIMEOUT_MS,
    });
    const ms = Date.now() - started;
    const output = `${result.stdout}\n${result.stderr}`;
    // The next lab of the lane takes this site down: keep its logs now if the test will fail.
    const logsOnFailure = labFailed(output) ? await siteLogsTail(site, 10) : '';
    return { check: lab.check, result, ms, lane, logsOnFailure };
  }

  async down(): Promise<void> {
    await Promise.all(this.runs.values()).catch(() => undefined);
    await Promise.all(this.sites.map((site) => site.down()));
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
    for (const drop of this.dropDirCleanups) drop();
  }
}

describe('docker: every lab’s Docker commands, as printed', function () {
  const lanes = new LabLanes();

  before(async function () {
    this.timeout(BUILD_TIMEOUT_MS + 120_000);
    await lanes.start(this, labs.map(readLab));
  });

  after(async function () {
    this.timeout(LAB_TIMEOUT_MS * labs.length + 180_000);
    await lanes.down();
  });

  for (const lab of labs) {
    it(`${lab}: its Docker block runs and its Docker check passes`, async function () {
      // Its lane may still be running the labs before it.
      this.timeout(LAB_TIMEOUT_MS * labs.length);
      const { check, result, ms, lane, logsOnFailure } = await lanes.result(lab);
      const output = `${result.stdout}\n${result.stderr}`;
      console.log(`      ${lab}: ${ms} ms (lane ${lane})`);
      try {
        const failures = [...output.matchAll(/^LAB-EXIT (\d+) (.*)$/gm)].map((m) => ({
          code: Number(m[1]),
          command: m[2]!,
        }));
        for (const failure of failures) {
          expect([127, 2], `${failure.command} exited ${failure.code}\n${output}`).to.not.include(
            failure.code,
          );
        }
        expect(output, `the lab's check: ${check}\n${output.slice(-4000)}`).to.match(
          /LAB-CHECK-EXIT 0/,
        );
      } catch (error) {
        console.log(logsOnFailure);
        throw error;
      }
    });
  }
});
