/**
 * Per-command costs of a closed-loop run (messages, frames, fsyncs, CPU time) from every node's
 * GET /stats before and after the measured window: the bench's rows (main.ts) and a site's
 * (site-size.ts).
 */
import type { StatsView } from '@evpaxos/runtime';
import type { PaxosRunResult } from './client';
import type { SystemRow } from './report';

/**
 * What the bench reads of GET /stats: the runtime's StatsView, with the fields a --compare
 * baseline may lack optional (a build from before frames carried several messages has no
 * framesOut; one from before /stats reported CPU time has no cpu). The bare path (bare-commit.ts)
 * answers these fields only.
 */
type StatsBody = Pick<StatsView, 'id' | 'appliedThrough'> & {
  readonly transport: Pick<StatsView['transport'], 'framesOutByKind'> &
    Partial<Pick<StatsView['transport'], 'framesOut'>>;
  readonly store: Pick<NonNullable<StatsView['store']>, 'syncCount'> | null;
  readonly cpu?: StatsView['cpu'];
};

function cpuMicros(stats: StatsBody): number | null {
  return stats.cpu === undefined ? null : stats.cpu.userMicros + stats.cpu.systemMicros;
}

const protocolKinds = ['hello', 'challenge', 'proof', 'welcome'];

function sumMessages(stats: StatsBody): number {
  let total = 0;
  for (const [kind, count] of Object.entries(stats.transport.framesOutByKind)) {
    if (!protocolKinds.includes(kind)) total += count;
  }
  return total;
}

/** Messages, syncs, slots and CPU time over the measured window, from every node's GET /stats. */
export function perCommand(run: PaxosRunResult): SystemRow['perCommand'] {
  const before = run.statsBefore as (StatsBody | null)[];
  const after = run.statsAfter as (StatsBody | null)[];
  if (before.some((s) => s === null) || after.some((s) => s === null) || run.operations === 0) {
    return null; // A build without GET /stats (the baseline of a --compare run).
  }
  let messages = 0;
  let frames: number | null = 0;
  let syncs = 0;
  let slots = 0;
  let cpu: number | null = 0;
  let centralCpu: number | null = 0;
  before.forEach((b, index) => {
    const a = after[index] as StatsBody;
    const start = b as StatsBody;
    messages += sumMessages(a) - sumMessages(start);
    // Handshake frames are in framesOut too, but none happen during a measured window.
    const framesAfter = a.transport.framesOut;
    const framesBefore = start.transport.framesOut;
    if (frames === null || framesAfter === undefined || framesBefore === undefined) frames = null;
    else frames += framesAfter - framesBefore;
    if (a.store && start.store) syncs += a.store.syncCount - start.store.syncCount;
    slots = Math.max(slots, a.appliedThrough - start.appliedThrough);
    const cpuAfter = cpuMicros(a);
    const cpuBefore = cpuMicros(start);
    if (cpu === null || centralCpu === null || cpuAfter === null || cpuBefore === null) {
      cpu = null;
      centralCpu = null;
    } else {
      cpu += cpuAfter - cpuBefore;
      // The process without an acceptor store answers the client: the leading central, or the
      // bare path's proposer (a standby central would count here too; none in the bench).
      if (a.store === null) centralCpu += cpuAfter - cpuBefore;
    }
  });
  return {
    messages: messages / run.operations,
    frames: frames === null ? null : frames / run.operations,
    fsyncs: syncs / run.operations,
    commandsPerSlot: slots > 0 ? run.operations / slots : Number.NaN,
    cpuMicros: cpu === null ? null : cpu / run.operations,
    centralCpuMicros: centralCpu === null ? null : centralCpu / run.operations,
  };
}
