import type { Argv, CommandModule } from 'yargs';
import {
  defaultSimOptions,
  faultKinds,
  formatScenario,
  isPlantedBug,
  plantedBugs,
  properties,
  simulate,
  ConfigError,
  type FaultKind,
  type Property,
  type SimResult,
  type SwarmPins,
  type Violation,
} from '@evpaxos/paxos';

interface SimArgs {
  seeds: number;
  start: number;
  seed?: number;
  trace: boolean;
  proposers?: number;
  acceptors?: number;
  learners?: number;
  faults: string;
  bug?: string;
  clients?: number;
  commands?: number;
  'phase1-quorum'?: number;
  'phase2-quorum'?: number;
  json: boolean;
}

export function parseFaults(text: string): Set<FaultKind> {
  const faults = new Set<FaultKind>();
  for (const name of text.split(',').map((part) => part.trim())) {
    if (name === '' || name === 'none') continue;
    if (!(faultKinds as readonly string[]).includes(name)) {
      throw new Error(`Unknown fault "${name}": choose from ${faultKinds.join(', ')} (or none).`);
    }
    faults.add(name as FaultKind);
  }
  return faults;
}

const wholeNumber = (name: string, min: number) => (value: number | undefined) => {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    throw new Error(`--${name} must be a whole number of at least ${min} (got ${String(value)}).`);
  }
};

export const simCommand: CommandModule<object, SimArgs> = {
  command: 'sim',
  describe:
    'Run the deterministic simulator over many seeds and check every safety and liveness property',
  builder: (yargs: Argv) =>
    yargs
      .option('seeds', { type: 'number', default: 100, describe: 'How many seeds to run' })
      .option('start', { type: 'number', default: 1, describe: 'The first seed' })
      .option('seed', { type: 'number', describe: 'Run this one seed only (replays a failure)' })
      .option('trace', {
        type: 'boolean',
        default: false,
        describe: "Print the seed's message trace (with --seed)",
      })
      .option('proposers', {
        type: 'number',
        describe: 'Pin the proposers (default: 1-3, drawn per seed)',
      })
      .option('acceptors', {
        type: 'number',
        describe: 'Pin the acceptors (default: 3-7, drawn per seed)',
      })
      .option('learners', {
        type: 'number',
        describe: 'Pin the nodes that only learn (default: 0-2, drawn per seed)',
      })
      .option('faults', {
        type: 'string',
        default: faultKinds.join(','),
        describe: `Comma-separated faults each seed may draw from: ${faultKinds.join(', ')}, or none`,
      })
      .option('bug', {
        type: 'string',
        describe: `Plant a bug the checkers must catch: ${Object.keys(plantedBugs).join(', ')}`,
      })
      .option('clients', {
        type: 'number',
        describe: 'Pin the clients (default: 1-5, drawn per seed)',
      })
      .option('commands', {
        type: 'number',
        describe: 'Pin the commands per client (default: 3-16, drawn per seed)',
      })
      .option('phase1-quorum', {
        type: 'number',
        describe: 'Pin the phase-1 quorum size (default: drawn per seed, a majority or more)',
      })
      .option('phase2-quorum', {
        type: 'number',
        describe: 'Pin the phase-2 quorum size (default: drawn per seed, q1 + q2 > acceptors)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'End with one JSON line' })
      .check((args) => {
        wholeNumber('seeds', 1)(args.seeds);
        wholeNumber('start', 0)(args.start);
        wholeNumber('seed', 0)(args.seed);
        wholeNumber('proposers', 1)(args.proposers);
        wholeNumber('acceptors', 1)(args.acceptors);
        wholeNumber('learners', 0)(args.learners);
        wholeNumber('clients', 1)(args.clients);
        wholeNumber('commands', 1)(args.commands);
        wholeNumber('phase1-quorum', 1)(args['phase1-quorum']);
        wholeNumber('phase2-quorum', 1)(args['phase2-quorum']);
        parseFaults(args.faults);
        if (args.bug !== undefined && !isPlantedBug(args.bug)) {
          throw new Error(
            `Unknown bug "${args.bug}": choose from ${Object.keys(plantedBugs).join(', ')}.`,
          );
        }
        if (args.trace && args.seed === undefined)
          throw new Error('--trace needs --seed S (one seed).');
        return true;
      }) as unknown as Argv<SimArgs>,
  handler: (args) => {
    const faults = parseFaults(args.faults);
    const pins = swarmPins(args);
    const seeds = args.seed !== undefined ? [args.seed] : range(args.start, args.seeds);
    const startedMs = Date.now();
    const totals = new SimTotals();
    for (const seed of seeds) {
      let result: SimResult;
      try {
        result = simulate({
          ...defaultSimOptions,
          ...pins,
          seed,
          faults,
          ...(args.bug !== undefined && isPlantedBug(args.bug) ? { bug: args.bug } : {}),
          ...(args.trace ? { trace: (line: string) => console.log(line) } : {}),
        });
      } catch (error) {
        if (error instanceof ConfigError) {
          console.error(`evpaxos sim: invalid cluster: ${error.message}`);
          process.exitCode = 2;
          return;
        }
        throw error;
      }
      totals.add(result);
      if (result.violations.length > 0) {
        for (const violation of result.violations) {
          console.log(
            `seed ${seed}: ${violation.property} violated at tick ${violation.tick}: ${violation.detail}`,
          );
        }
        console.log(`  ${formatScenario(result.scenario)}`);
        console.log(`  replay: ${replayCommand(seed, args)}`);
      }
    }
    const elapsedMs = Date.now() - startedMs;
    const statuses = totals.propertyStatuses();
    console.log(
      `sim: ${seeds.length} seed(s) from ${seeds[0]}, faults ${[...faults].join(',') || 'none'}` +
        `${args.bug ? `, planted bug ${args.bug}` : ''}: ${totals.commandsDecided}/${totals.commandsSubmitted} commands decided, ` +
        `${totals.violations.length} violation(s) in ${totals.failedSeeds.length} seed(s), ${totals.leaderChanges} leader changes, ` +
        `${totals.crashes} crashes, ${totals.diskLosses} disk losses, ${totals.reconfigurations} reconfigurations, ${totals.partitions} partitions, ${totals.ticks} ticks, ${(elapsedMs / 1000).toFixed(1)} s`,
    );
    // A property no seed put to the test is "vacuous", never "pass": it proved nothing.
    console.log(
      `properties: ${properties.map((p) => `${p} ${statuses[p].status} (${statuses[p].seeds} seed(s))`).join(', ')}`,
    );
    if (args.json) {
      console.log(JSON.stringify(totals.toJson(seeds, faults, args.bug, elapsedMs, statuses)));
    }
    const allDecided = totals.commandsDecided === totals.commandsSubmitted;
    process.exitCode = totals.violations.length === 0 && allDecided ? 0 : 1;
  },
};

type PropertyStatus = { status: 'pass' | 'violated' | 'vacuous'; seeds: number };

/** Sums over the seeds of a run, and what each property's checks amount to. */
class SimTotals {
  commandsSubmitted = 0;
  commandsDecided = 0;
  ticks = 0;
  leaderChanges = 0;
  crashes = 0;
  diskLosses = 0;
  reconfigurations = 0;
  partitions = 0;
  readonly violations: Violation[] = [];
  readonly failedSeeds: number[] = [];
  /** Per property: seeds that exercised it (checked it against something at least once). */
  private readonly exercisedSeeds = new Map<Property, number>();

  add(result: SimResult): void {
    this.commandsSubmitted += result.commandsSubmitted;
    this.commandsDecided += result.commandsDecided;
    this.ticks += result.ticks;
    this.leaderChanges += result.leaderChanges;
    this.crashes += result.crashes;
    this.diskLosses += result.diskLosses;
    this.reconfigurations += result.reconfigurations;
    this.partitions += result.partitions;
    for (const property of properties) {
      if (result.exercised[property] > 0)
        this.exercisedSeeds.set(property, (this.exercisedSeeds.get(property) ?? 0) + 1);
    }
    if (result.violations.length > 0) {
      this.failedSeeds.push(result.seed);
      this.violations.push(...result.violations);
    }
  }

  propertyStatuses(): Record<Property, PropertyStatus> {
    const statuses = {} as Record<Property, PropertyStatus>;
    for (const property of properties) {
      const seeds = this.exercisedSeeds.get(property) ?? 0;
      const violated = this.violations.some((v) => v.property === property);
      statuses[property] = {
        status: violated ? 'violated' : seeds > 0 ? 'pass' : 'vacuous',
        seeds,
      };
    }
    return statuses;
  }

  toJson(
    seeds: readonly number[],
    faults: ReadonlySet<FaultKind>,
    bug: string | undefined,
    elapsedMs: number,
    statuses: Record<Property, PropertyStatus>,
  ): object {
    return {
      seeds: seeds.length,
      start: seeds[0],
      faults: [...faults],
      bug: bug ?? null,
      commands_submitted: this.commandsSubmitted,
      commands_decided: this.commandsDecided,
      violations: this.violations.map((v) => ({
        seed: v.seed,
        property: v.property,
        tick: v.tick,
        detail: v.detail,
      })),
      failed_seeds: this.failedSeeds,
      first_failing_seed: this.failedSeeds[0] ?? null,
      properties: Object.fromEntries(
        properties.map((p) => [
          p,
          { status: statuses[p].status, seeds_exercised: statuses[p].seeds },
        ]),
      ),
      ticks: this.ticks,
      leader_changes: this.leaderChanges,
      elapsed_ms: elapsedMs,
    };
  }
}

/** The dimensions the command line pins; the swarm draws the others from each seed. */
function swarmPins(args: SimArgs): SwarmPins {
  return {
    ...(args.proposers !== undefined ? { proposers: args.proposers } : {}),
    ...(args.acceptors !== undefined ? { acceptors: args.acceptors } : {}),
    ...(args.learners !== undefined ? { learners: args.learners } : {}),
    ...(args.clients !== undefined ? { clients: args.clients } : {}),
    ...(args.commands !== undefined ? { commandsPerClient: args.commands } : {}),
    ...(args['phase1-quorum'] !== undefined ? { phase1Quorum: args['phase1-quorum'] } : {}),
    ...(args['phase2-quorum'] !== undefined ? { phase2Quorum: args['phase2-quorum'] } : {}),
  };
}

/** The command that replays one seed exactly: the same faults, bug and pinned dimensions. */
function replayCommand(seed: number, args: SimArgs): string {
  const parts = ['npx evpaxos sim', `--seed ${seed}`, '--trace', `--faults ${args.faults}`];
  if (args.bug !== undefined) parts.push(`--bug ${args.bug}`);
  const pinned: [string, number | undefined][] = [
    ['proposers', args.proposers],
    ['acceptors', args.acceptors],
    ['learners', args.learners],
    ['clients', args.clients],
    ['commands', args.commands],
    ['phase1-quorum', args['phase1-quorum']],
    ['phase2-quorum', args['phase2-quorum']],
  ];
  for (const [flag, value] of pinned) if (value !== undefined) parts.push(`--${flag} ${value}`);
  return parts.join(' ');
}

function range(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}
