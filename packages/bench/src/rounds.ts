import { median } from './latency';
import type { SystemRow } from './report';

/**
 * The systems in the order round `round` (0-based) measures them: each round starts one later, so
 * over rounds every system is measured first, second, … equally often (on this machine the first
 * build measured gets ~0.05–0.1 ms at concurrency 1: docs/BENCHMARKS.md).
 */
export function roundOrder<System>(systems: readonly System[], round: number): System[] {
  if (systems.length === 0) return [];
  const shift = round % systems.length;
  return [...systems.slice(shift), ...systems.slice(0, shift)];
}

/** The median, or null when a round has no value (a build without that counter). */
function medianOrNull(values: readonly (number | null | undefined)[]): number | null {
  return values.every((v): v is number => typeof v === 'number') ? median(values) : null;
}

/**
 * One row per (system, acceptors, concurrency), in the order of their first appearance, holding the
 * median of every measured number over the rounds that measured it, and the per-round values of
 * the two headline numbers (for the JSON, and to show the spread).
 */
export function medianRows(rows: readonly SystemRow[]): SystemRow[] {
  const groups = new Map<string, SystemRow[]>();
  for (const row of rows) {
    const key = `${row.system}\u0000${row.acceptors}\u0000${row.concurrency}`;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0] as SystemRow;
    if (group.length === 1) return first;
    const of = (pick: (row: SystemRow) => number) => median(group.map(pick));
    const perCommands = group.map((row) => row.perCommand);
    const perCommand = perCommands.every((p) => p !== null)
      ? {
          messages: median(perCommands.map((p) => p.messages)),
          frames: perCommands.every((p) => p.frames !== null)
            ? median(perCommands.map((p) => p.frames as number))
            : null,
          fsyncs: median(perCommands.map((p) => p.fsyncs)),
          commandsPerSlot: median(perCommands.map((p) => p.commandsPerSlot)),
          cpuMicros: medianOrNull(perCommands.map((p) => p.cpuMicros)),
          centralCpuMicros: medianOrNull(perCommands.map((p) => p.centralCpuMicros)),
        }
      : null;
    return {
      system: first.system,
      acceptors: first.acceptors,
      concurrency: first.concurrency,
      commandsPerSecond: of((row) => row.commandsPerSecond),
      p50Ms: of((row) => row.p50Ms),
      p99Ms: of((row) => row.p99Ms),
      errors: group.reduce((sum, row) => sum + row.errors, 0),
      perCommand,
      rounds: {
        commandsPerSecond: group.map((row) => row.commandsPerSecond),
        p50Ms: group.map((row) => row.p50Ms),
      },
    };
  });
}
