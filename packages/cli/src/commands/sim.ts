import type { Argv, CommandModule } from 'yargs';
import {
  defaultSimOptions,
  faultKinds,
  isPlantedBug,
  plantedBugs,
  simulate,
  ConfigError,
  type FaultKind,
  type SimResult,
  type Violation,
} from '@evpaxos/paxos';

interface SimArgs {
  seeds: number;
  start: number;
  seed?: number;
  trace: boolean;
  proposers: number;
  acceptors: number;
  learners: number;
  faults: string;
  bug?: string;
  clients: number;
  commands: number;
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
      .option('proposers', { type: 'number', default: defaultSimOptions.proposers })
      .option('acceptors', { type: 'number', default: defaultSimOptions.acceptors })
      .option('learners', {
        type: 'number',
        default: defaultSimOptions.learners,
        describe: 'Nodes that only learn',
      })
      .option('faults', {
        type: 'string',
        default: faultKinds.join(','),
        describe: `Comma-separated faults: ${faultKinds.join(', ')}, or none`,
      })
      .option('bug', {
        type: 'string',
        describe: `Plant a bug the checkers must catch: ${Object.keys(plantedBugs).join(', ')}`,
      })
      .option('clients', { type: 'number', default: defaultSimOptions.clients })
      .option('commands', {
        type: 'number',
        default: defaultSimOptions.commandsPerClient,
        describe: 'Commands per client',
      })
      .option('phase1-quorum', {
        type: 'number',
        describe: 'Phase-1 quorum size (default: a majority)',
      })
      .option('phase2-quorum', {
        type: 'number',
        describe: 'Phase-2 quorum size (default: a majority)',
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
    const seeds = args.seed !== undefined ? [args.seed] : range(args.start, args.seeds);
    const startedMs = Date.now();
    const totals = {
      commandsSubmitted: 0,
      commandsDecided: 0,
      ticks: 0,
      leaderChanges: 0,
      crashes: 0,
      partitions: 0,
    };
    const violations: Violation[] = [];
    const failedSeeds: number[] = [];
    for (const seed of seeds) {
      let result: SimResult;
      try {
        result = simulate({
          ...defaultSimOptions,
          seed,
          proposers: args.proposers,
          acceptors: args.acceptors,
          learners: args.learners,
          faults,
          clients: args.clients,
          commandsPerClient: args.commands,
          ...(args.bug !== undefined && isPlantedBug(args.bug) ? { bug: args.bug } : {}),
          ...(args['phase1-quorum'] !== undefined ? { phase1Quorum: args['phase1-quorum'] } : {}),
          ...(args['phase2-quorum'] !== undefined ? { phase2Quorum: args['phase2-quorum'] } : {}),
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
      totals.commandsSubmitted += result.commandsSubmitted;
      totals.commandsDecided += result.commandsDecided;
      totals.ticks += result.ticks;
      totals.leaderChanges += result.leaderChanges;
      totals.crashes += result.crashes;
      totals.partitions += result.partitions;
      if (result.violations.length > 0) {
        failedSeeds.push(seed);
        violations.push(...result.violations);
        for (const violation of result.violations) {
          console.log(
            `seed ${seed}: ${violation.property} violated at tick ${violation.tick}: ${violation.detail}`,
          );
        }
        console.log(
          `  replay: npx evpaxos sim --seed ${seed} --trace${args.bug ? ` --bug ${args.bug}` : ''}`,
        );
      }
    }
    const elapsedMs = Date.now() - startedMs;
    const allDecided = totals.commandsDecided === totals.commandsSubmitted;
    console.log(
      `sim: ${seeds.length} seed(s) from ${seeds[0]}, faults ${[...faults].join(',') || 'none'}` +
        `${args.bug ? `, planted bug ${args.bug}` : ''}: ${totals.commandsDecided}/${totals.commandsSubmitted} commands decided, ` +
        `${violations.length} violation(s) in ${failedSeeds.length} seed(s), ${totals.leaderChanges} leader changes, ` +
        `${totals.crashes} crashes, ${totals.partitions} partitions, ${totals.ticks} ticks, ${(elapsedMs / 1000).toFixed(1)} s`,
    );
    if (args.json) {
      console.log(
        JSON.stringify({
          seeds: seeds.length,
          start: seeds[0],
          faults: [...faults],
          bug: args.bug ?? null,
          commands_submitted: totals.commandsSubmitted,
          commands_decided: totals.commandsDecided,
          violations: violations.map((v) => ({
            seed: v.seed,
            property: v.property,
            tick: v.tick,
            detail: v.detail,
          })),
          failed_seeds: failedSeeds,
          first_failing_seed: failedSeeds[0] ?? null,
          ticks: totals.ticks,
          leader_changes: totals.leaderChanges,
          elapsed_ms: elapsedMs,
        }),
      );
    }
    process.exitCode = violations.length === 0 && allDecided ? 0 : 1;
  },
};

function range(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}
