import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DockerSite,
  BUILD_TIMEOUT_MS,
  buildImageOnce,
  composeCommand,
  dockerUnavailable,
  freePortPrefix,
  root,
  run,
  siteLogsTail,
} from './docker-harness';

/**
 * Every lab's "Run it — Docker" block run as the lab prints it, then the lab's own Docker check
 * (`node scripts/lab-check.mjs --docker …` from its "Check" section), which must pass. The labs
 * run one after the other in one copy of the repository (lab 7 edits evpaxos.env; the copy's is
 * put back before each lab) under one project name and host-port prefix of this run: each lab's
 * first line, `docker compose down -v && docker compose up -d --build`, takes the previous lab's
 * site down and starts its own from the run's image (the build is all cache). The last site is
 * taken down with its volumes at the end. Where only Compose 1.29 is installed, `docker compose`
 * is `docker-compose` (docs/DOCKER.md): a shell function says so, the lab text is not edited.
 * Commands a lab expects to fail (a submit with no quorum) may exit 1; none may be missing (127)
 * or refused as bad input (2).
 */

const labsDir = path.join(root, 'docs/labs');
const labs = fs
  .readdirSync(labsDir)
  .filter((name) => /^\d\d-.*\.md$/.test(name))
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

describe('docker: every lab’s Docker commands, as printed', function () {
  let dir = '';
  let site: DockerSite | undefined;

  before(async function () {
    this.timeout(BUILD_TIMEOUT_MS + 60_000);
    const reason = dockerUnavailable();
    if (reason !== null) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    const build = await buildImageOnce();
    expect(build.status, build.stderr).to.equal(0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-lab-'));
    copyRepo(dir);
    site = new DockerSite(`evpl${process.pid}`, await freePortPrefix(), {}, dir);
    site.downOnInterrupt();
  });

  after(async function () {
    this.timeout(180_000);
    if (site) await site.down();
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const lab of labs) {
    it(`${lab}: its Docker block runs and its Docker check passes`, async function () {
      this.timeout(600_000);
      const markdown = fs.readFileSync(path.join(labsDir, lab), 'utf8');
      const commands = block(markdown, /^## Run it — Docker/m);
      expect(commands, `${lab} has a Docker block`).to.be.a('string');
      const check = block(markdown, /^## Check/m)
        ?.split('\n')
        .find((line) => line.includes('lab-check.mjs --docker'))
        ?.replace(/\s+#.*$/, '');
      expect(check, `${lab} has a Docker check`).to.be.a('string');
      // A lab before this one may have edited it (lab 7 adds quorum sizes).
      fs.copyFileSync(path.join(root, 'evpaxos.env'), path.join(dir, 'evpaxos.env'));
      const started = Date.now();
      const result = await run('bash', ['-c', labScript(commands!, check!)], {
        env: site!.env,
        cwd: dir,
        timeoutMs: 540_000,
      });
      const output = `${result.stdout}\n${result.stderr}`;
      console.log(`      ${lab}: ${Date.now() - started} ms`);
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
        console.log(await siteLogsTail(site!, 10));
        throw error;
      }
    });
  }
});
