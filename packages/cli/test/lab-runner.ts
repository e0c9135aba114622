// Runs a lab's "Run it — local" block as the lab prints it, one line at a time in one bash shell
// (so variables like $LEADER and $EMU carry over), and hands back what every line printed and how
// it exited. The lab runs in a directory of its own whose node_modules, packages, scripts and docs
// are links to the repository's, so `.evpaxos` is the lab's own. One shim, said here and in
// docs/labs/README.md: `npx evpaxos cluster up` gets `--base-port 0` (free ports), so a test never
// collides with another cluster on the default ports, and `npx evpaxos` runs the binary npx would
// find (node_modules/.bin/evpaxos) without npm's start-up; every line is run as printed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { root, run } from './docker-harness';

export interface LabLine {
  readonly command: string;
  readonly output: string;
  readonly exit: number;
}

export interface LabRun {
  readonly dir: string;
  readonly lines: readonly LabLine[];
  /** The whole output, for a failing assertion's message. */
  readonly transcript: string;
  /** How long the block ran, ms (the labs' measured times, docs/labs/README.md). */
  readonly elapsedMs: number;
}

export const labsDir = path.join(root, 'docs/labs');

/** The first ```sh block after the heading that matches. */
export function shBlock(markdown: string, heading: RegExp): string | undefined {
  const start = markdown.search(heading);
  if (start < 0) return undefined;
  return /```sh\n([\s\S]*?)```/.exec(markdown.slice(start))?.[1];
}

export function localBlock(lab: string): string {
  const block = shBlock(
    fs.readFileSync(path.join(labsDir, path.basename(lab)), 'utf8'),
    /^## Run it — local/m,
  );
  if (block === undefined) throw new Error(`${lab} has no "Run it — local" sh block`);
  return block;
}

/** The lines of a block that are commands (comments and blank lines are not). */
export function commandsOf(block: string): string[] {
  return block
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

// Labs run two at a time (labs-local.test.ts): their `cluster up`s take turns (flock on one file
// per test process), since two 7-process starts at once on 2 loaded cores can miss the launcher's
// 15 s bound for an elected leader. `npx evpaxos` runs node_modules/.bin/evpaxos, the binary npx itself finds: the same program
// without npm's start-up (about 0.5 s of CPU a line, a lab has up to 25 such lines).
const SHIM = [
  'npx() {',
  '  if [ "$1" = evpaxos ] && [ "$2" = cluster ] && [ "$3" = up ]; then',
  '    shift 3; flock "$EVPAXOS_LAB_START_LOCK" node_modules/.bin/evpaxos cluster up --base-port 0 "$@"',
  '  elif [ "$1" = evpaxos ]; then',
  '    shift; node_modules/.bin/evpaxos "$@"',
  '  else command npx "$@"; fi',
  '}',
].join('\n');

/** The file the labs' `cluster up`s lock in turn (see SHIM). */
export const startLock = path.join(os.tmpdir(), `evpaxos-lab-start-${process.pid}.lock`);

/** Runs the command lines in a fresh lab directory. */
export async function runLab(
  commands: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<LabRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-lab-local-'));
  for (const name of ['node_modules', 'packages', 'scripts', 'docs']) {
    fs.symlinkSync(path.join(root, name), path.join(dir, name));
  }
  const script = [
    'set -u',
    // Every line's errors go with its output, in order.
    'exec 2>&1',
    SHIM,
    ...commands.flatMap((command, index) => [
      `echo "@@LAB-LINE ${index}"`,
      command,
      `echo "@@LAB-EXIT ${index} $?"`,
    ]),
    // Whatever the lab left running (a failed line before its `cluster down`) is stopped.
    'node_modules/.bin/evpaxos cluster down > /dev/null 2>&1 || true',
  ].join('\n');
  const startedAtMs = Date.now();
  const result = await run('bash', ['-c', script], {
    cwd: dir,
    env: { ...process.env, EVPAXOS_LAB_START_LOCK: startLock, ...options.env },
    timeoutMs: options.timeoutMs ?? 600_000,
  });
  const transcript = result.stdout + (result.stderr === '' ? '' : `\n[stderr]\n${result.stderr}`);
  const lines: LabLine[] = commands.map((command, index) => {
    const start = result.stdout.indexOf(`@@LAB-LINE ${index}\n`);
    const end = result.stdout.indexOf(`@@LAB-EXIT ${index} `);
    const exitMatch = new RegExp(`@@LAB-EXIT ${index} (\\d+)`).exec(result.stdout);
    return {
      command,
      output:
        start >= 0 && end >= 0
          ? result.stdout.slice(start + `@@LAB-LINE ${index}\n`.length, end)
          : '',
      exit: exitMatch === null ? -1 : Number(exitMatch[1]),
    };
  });
  return { dir, lines, transcript, elapsedMs: Date.now() - startedAtMs };
}

/** The line whose command includes `text` (the nth such, from 0). */
export function lineOf(lab: LabRun, text: string, nth = 0): LabLine {
  const found = lab.lines.filter((line) => line.command.includes(text))[nth];
  if (found === undefined) throw new Error(`no line with "${text}" (#${nth}) in the lab`);
  return found;
}
