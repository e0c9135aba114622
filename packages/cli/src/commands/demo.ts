import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import {
  EVPAXOS_BIN,
  LauncherError,
  clusterDown,
  clusterUp,
  formatStatusTable,
  type ClusterHandle,
} from '../launcher';
import { LogTail } from '../demo/log-tail';
import { Timeline } from '../demo/timeline';
import { formatVerifyReport, verifyDir } from '../verify';

interface DemoArgs {
  dir: string;
  speed: number;
  scenario?: string;
  'site-limit-w': number;
  centrals: number;
  'charge-points': number;
  'base-port': number;
  'lease-ms'?: number;
}

/** The site's lease in real time (site.leaseMs default), ms. */
const LEASE_MS_REAL = 30_000;
/** The shortest lease the demo picks: the site needs more than twice its 1 s clock skew. */
const LEASE_MS_MIN = 3_000;

/**
 * The demo's lease: 30 s of *scenario* time, so that at 10× a cut-off charge point falls back to
 * fail-safe power after 3 real seconds (30 scenario seconds), as it would on a real site, not
 * after five scenario minutes. Never below 3 s real (the site requires leaseMs > 2 × clock skew).
 */
export function demoLeaseMs(speed: number, leaseMs?: number): number {
  return leaseMs ?? Math.max(LEASE_MS_MIN, Math.round(LEASE_MS_REAL / speed));
}

const POLL_MS = 200;
/** A little over the nodes' decided record interval (docs/CLUSTER.md, "The decided record"), ms. */
const DECIDED_RECORD_WAIT_MS = 1_200;
/** Scenario minutes the default timeline lasts, for the overall deadline. */
const SCENARIO_MINUTES_MAX = 60;

/**
 * `npm start`: the whole charging site on this machine — 2 central systems, 5 charge points (or
 * --centrals / --charge-points) and the EV emulator as separate processes — running the seed's 10-minute timeline (scaled by
 * --speed), with a live timeline, a summary, and `evpaxos verify` over the run's logs.
 */
export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe:
    'Run the charging-site demo: 2 centrals, 5 charge points (--centrals, --charge-points), the EV emulator, live timeline, verification',
  builder: (yargs: Argv) =>
    yargs
      .option('dir', {
        type: 'string',
        default: '.evpaxos-demo',
        describe: 'Where the run keeps its cluster files and logs (wiped first)',
      })
      .option('speed', {
        type: 'number',
        default: 10,
        describe: 'Scenario time per real time: 10 runs the 10 minutes in 1; 1 is real time',
      })
      .option('scenario', {
        type: 'string',
        describe: "A scenario file (docs/SCENARIOS.md); default: the seed's timeline",
      })
      .option('site-limit-w', {
        type: 'number',
        default: 44_000,
        describe: "The site's grid limit in watts",
      })
      .option('centrals', { type: 'number', default: 2, describe: 'Central systems, 1 to 3' })
      .option('charge-points', {
        type: 'number',
        default: 5,
        describe:
          'Charge points (the default scenario puts an EV on every one beyond cp5; docs/SCENARIOS.md)',
      })
      .option('base-port', {
        type: 'number',
        default: 0,
        describe: 'Cluster ports N+i, HTTP N+100+i, OCPP/EV link N+200+i; 0 picks free ports',
      })
      .option('lease-ms', {
        type: 'number',
        describe:
          'Lease length in real ms (default: 30 s of scenario time, i.e. 30000 / speed, at least 3000)',
      })
      .check((args) => {
        const base = args['base-port'];
        if (!Number.isInteger(base) || base < 0 || base > 65_000) {
          throw new Error(
            `--base-port must be 0 (free ports) or a port up to 65000 (got ${base}).`,
          );
        }
        const lease = args['lease-ms'];
        if (lease !== undefined && (!Number.isInteger(lease) || lease < 2_001)) {
          throw new Error(`--lease-ms must be a whole number of ms above 2000 (got ${lease}).`);
        }
        if (!(args.speed > 0) || args.speed > 600)
          throw new Error(`--speed must be above 0 and at most 600 (got ${args.speed}).`);
        if (!Number.isInteger(args['site-limit-w']) || args['site-limit-w'] <= 0) {
          throw new Error(`--site-limit-w must be a positive whole number of watts.`);
        }
        if (!Number.isInteger(args.centrals) || args.centrals < 1 || args.centrals > 3) {
          throw new Error(`--centrals must be 1, 2 or 3 (got ${args.centrals}).`);
        }
        if (args.scenario !== undefined && !fs.existsSync(args.scenario)) {
          throw new Error(`The scenario file ${args.scenario} does not exist.`);
        }
        return true;
      }) as unknown as Argv<DemoArgs>,
  handler: async (args) => {
    const dir = path.resolve(args.dir);
    let emulator: ChildProcess | undefined;
    let stopping = false;
    const stop = async (code: number, note?: string) => {
      if (stopping) return;
      stopping = true;
      emulator?.kill('SIGTERM');
      await clusterDown(dir).catch(() => undefined);
      if (note) console.log(note);
      process.exit(code);
    };
    // Ctrl-C leaves no process behind.
    process.once('SIGINT', () => void stop(130, '\nInterrupted: every process stopped.'));
    process.once('SIGTERM', () => void stop(143));

    try {
      // A previous run may have been killed hard: stop whatever it left, then start clean.
      await clusterDown(dir, 1_000).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
      const leaseMs = demoLeaseMs(args.speed, args['lease-ms']);
      section(
        `Starting ${args.centrals} central system(s) and ${args['charge-points']} charge points (separate processes) in ${dir}; lease ${leaseMs} ms real = ${Math.round((leaseMs * args.speed) / 1000)} s of scenario time`,
      );
      const cluster: ClusterHandle = await clusterUp({
        dir,
        centrals: args.centrals,
        chargePoints: args['charge-points'],
        siteLimitW: args['site-limit-w'],
        basePort: args['base-port'],
        leaseMs,
      });
      const leader = await cluster.waitForLeader();
      console.log(formatStatusTable(await cluster.status()));
      console.log(
        `\nLive dashboard: ${cluster.url(leader.leaderId)}/dashboard   (API: /status, /log, /metrics)`,
      );

      section(`Running the scenario at ${args.speed}× (minute:second of scenario time)`);
      const logs = path.join(dir, 'logs');
      const emulatorLog = fs.openSync(path.join(logs, 'ev-emulator.log'), 'a');
      emulator = spawn(
        process.execPath,
        [
          EVPAXOS_BIN,
          'ev-emulator',
          '--dir',
          dir,
          '--speed',
          String(args.speed),
          ...(args.scenario ? ['--scenario', args.scenario] : []),
        ],
        { stdio: ['ignore', emulatorLog, emulatorLog] },
      );
      const exited = new Promise<number>((resolve) =>
        emulator?.once('exit', (code) => resolve(code ?? 1)),
      );
      const timeline = new Timeline(args.speed, args['site-limit-w'], (line) => console.log(line));
      const tail = new LogTail(logs);
      const deadlineMs = Date.now() + 60_000 + (SCENARIO_MINUTES_MAX * 60_000) / args.speed;
      let emulatorCode: number | undefined;
      void exited.then((code) => (emulatorCode = code));
      while (emulatorCode === undefined && Date.now() < deadlineMs) {
        for (const line of tail.poll()) timeline.accept(line);
        timeline.flush();
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      // The nodes write their decided record once a second (docs/CLUSTER.md): the last one in too.
      await new Promise((resolve) => setTimeout(resolve, DECIDED_RECORD_WAIT_MS));
      for (const line of tail.poll()) timeline.accept(line);
      timeline.flush(Date.now(), 0);
      if (emulatorCode !== 0) {
        console.log(
          `\nThe EV emulator ${emulatorCode === undefined ? 'did not finish in time' : `exited with ${emulatorCode}`}: see ${path.join(logs, 'ev-emulator.log')}`,
        );
      }

      section('Summary');
      const unchargedEvs = printSummary(timeline);
      // Let the last power samples and decisions reach the logs before verifying.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await clusterDown(dir);
      section('Verification (evpaxos verify)');
      const report = verifyDir(dir);
      console.log(formatVerifyReport(report));
      console.log(`\nLogs: ${logs}   Again: npx evpaxos verify ${args.dir}`);
      await stop(report.pass && emulatorCode === 0 && unchargedEvs.length === 0 ? 0 : 1);
    } catch (error) {
      if (error instanceof LauncherError && error.exitCode === 2) {
        // A site that cannot work is refused before anything starts: one sentence, exit 2.
        console.error(`evpaxos: ${error.message}`);
        await stop(2);
        return;
      }
      console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
      console.error(`logs: ${path.join(dir, 'logs')}`);
      await stop(1);
    }
  },
};

function section(text: string): void {
  console.log(`\n» ${text}`);
}

/** Prints the summary; returns the EVs that charged 0 Wh (each a problem of the run). */
function printSummary(timeline: Timeline): string[] {
  const rows = timeline.evSummaries.map((ev) => [
    ev.evId,
    ev.chargePointId,
    // An EV that got nothing is a failed visit, whatever the safety properties say (issue 17).
    ev.energyWh > 0 ? `${(ev.energyWh / 1000).toFixed(2)} kWh` : '0 kWh PROBLEM',
    ev.profileReceived ? 'yes' : 'no',
    ev.states.join(' → '),
  ]);
  const header = ['EV', 'charge point', 'energy (EV)', 'profile', 'states visited'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const format = (row: string[]) =>
    row.map((cell, column) => (column < 4 ? cell.padEnd(widths[column]!) : cell)).join('  ');
  console.log(format(header));
  for (const row of rows) console.log(format(row));
  if (rows.length === 0) console.log('(no EV summary: see the emulator log)');
  const metered = [...timeline.meteredWh.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const totalWh = metered.reduce((sum, [, wh]) => sum + wh, 0);
  console.log(
    `\nEnergy by the stations' meters (agreed at StopSession): ${(totalWh / 1000).toFixed(2)} kWh` +
      (metered.length === 0
        ? ''
        : ` (${metered.map(([id, wh]) => `${id} ${(wh / 1000).toFixed(2)} kWh`).join(', ')})`),
  );
  const types = [...timeline.commandsByType.entries()]
    .map(([type, count]) => `${type} ${count}`)
    .join(', ');
  console.log(
    `\nConsensus: ${timeline.decisions} slots decided (${types}); ` +
      `${timeline.leaderChanges.length} leader election(s): ${timeline.leaderChanges.join(', ')}`,
  );
  const empty = timeline.evSummaries.filter((ev) => ev.energyWh <= 0);
  for (const ev of empty) {
    console.log(`Problem: ${ev.evId} at ${ev.chargePointId} charged 0 Wh.`);
  }
  return empty.map((ev) => ev.evId);
}
