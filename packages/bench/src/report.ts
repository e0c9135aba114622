import type { LatencySummary } from './latency';

export interface SystemRow {
  /** 'evpaxos', 'baseline' (a --compare build), 'bare' (the bare commit path) or 'etcd'. */
  readonly system: string;
  readonly acceptors: number;
  readonly concurrency: number;
  readonly commandsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** Over the measured window, summed over every node; null where GET /stats is not there. */
  readonly perCommand: {
    readonly messages: number;
    /** WebSocket frames: a node writes the messages of one turn to a peer as one frame. */
    readonly frames: number | null;
    readonly fsyncs: number;
    readonly commandsPerSlot: number;
    /**
     * CPU time (user + system) of every node process per command, µs, and of the central alone;
     * null for a build whose /stats has no CPU time. Absent in reports from before.
     */
    readonly cpuMicros?: number | null;
    readonly centralCpuMicros?: number | null;
  } | null;
  /** With --rounds N > 1: the numbers above are medians; these are each round's, in round order. */
  readonly rounds?: {
    readonly commandsPerSecond: readonly number[];
    readonly p50Ms: readonly number[];
  };
}

export interface BenchReport {
  readonly date: string;
  readonly quick: boolean;
  readonly machine: { cpus: number; cpuModel: string; node: string; platform: string };
  readonly settings: {
    warmupMs: number;
    /** Absent in reports from before the warm-up also counted operations. */
    warmupOperationsMin?: number;
    measureMs: number;
    valueBytes: number;
    concurrencies: readonly number[];
    compareBin: string | null;
    /** How many times each row was measured (medians shown); absent in reports from before. */
    rounds?: number;
  };
  readonly floor: {
    readonly roundTripP50Ms: number;
    readonly roundTripP99Ms: number;
    /** fdatasync latency with 1, 3 and 5 processes syncing at once (median of their p50s). */
    readonly fsyncByProcesses: Readonly<Record<string, LatencySummary>>;
  };
  readonly rows: readonly SystemRow[];
  readonly failover: { readonly trialsMs: readonly number[]; readonly medianMs: number };
  readonly etcd: { readonly version: string | null; readonly skipped: string | null };
  readonly durationMs: number;
}

/**
 * The floor for a commit with `acceptors` acceptors: one loopback round trip plus one fdatasync
 * while that many processes sync at once (what the acceptors of one slot do).
 */
export function floorMs(report: BenchReport, acceptors: number): number {
  const fsync =
    report.floor.fsyncByProcesses[String(acceptors)] ?? report.floor.fsyncByProcesses['1'];
  return report.floor.roundTripP50Ms + (fsync?.p50Ms ?? Number.NaN);
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

export function renderTable(report: BenchReport): string {
  const etcdAt = (concurrency: number) =>
    report.rows.find((row) => row.system === 'etcd' && row.concurrency === concurrency);
  const bareAt = (acceptors: number, concurrency: number) =>
    report.rows.find(
      (row) =>
        row.system === 'bare' && row.acceptors === acceptors && row.concurrency === concurrency,
    );
  const header = [
    'system',
    'acceptors',
    'concurrency',
    'cmds/s',
    'p50 ms',
    'p99 ms',
    'msgs/cmd',
    'frames/cmd',
    'fsyncs/cmd',
    'cmds/slot',
    'CPU µs/cmd',
    'central CPU µs/cmd',
    'p50 / floor',
    'cmds/s ÷ etcd',
    'p50 ÷ etcd',
    'cmds/s ÷ bare',
    'p50 ÷ bare',
  ];
  const lines = report.rows.map((row) => {
    const etcd = etcdAt(row.concurrency);
    const isEtcd = row.system === 'etcd';
    // The bare path is the reference for a cluster's rows, not for itself or etcd.
    const bare =
      isEtcd || row.system === 'bare' ? undefined : bareAt(row.acceptors, row.concurrency);
    return [
      row.system,
      String(row.acceptors),
      String(row.concurrency),
      String(Math.round(row.commandsPerSecond)),
      fixed(row.p50Ms, 3),
      fixed(row.p99Ms, 3),
      fixed(row.perCommand?.messages, 2),
      fixed(row.perCommand?.frames ?? undefined, 2),
      fixed(row.perCommand?.fsyncs, 3),
      fixed(row.perCommand?.commandsPerSlot, 1),
      fixed(row.perCommand?.cpuMicros ?? undefined, 0),
      fixed(row.perCommand?.centralCpuMicros ?? undefined, 0),
      fixed(row.p50Ms / floorMs(report, row.acceptors), 2),
      etcd && !isEtcd ? `${fixed(row.commandsPerSecond / etcd.commandsPerSecond, 1)}×` : '–',
      etcd && !isEtcd ? `${fixed(row.p50Ms / etcd.p50Ms, 2)}×` : '–',
      bare ? `${fixed(row.commandsPerSecond / bare.commandsPerSecond, 2)}×` : '–',
      bare ? `${fixed(row.p50Ms / bare.p50Ms, 2)}×` : '–',
    ];
  });
  const table = [header, header.map(() => '---'), ...lines]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n');
  const fsync = Object.entries(report.floor.fsyncByProcesses)
    .map(([processes, s]) => `${processes} at once ${fixed(s.p50Ms, 3)} ms`)
    .join(', ');
  const failover =
    report.failover.trialsMs.length > 0
      ? `Failover (kill -9 the leader → next commit), ${report.failover.trialsMs.length} trials: median ${fixed(report.failover.medianMs, 0)} ms (${report.failover.trialsMs.map((ms) => fixed(ms, 0)).join(', ')}).`
      : 'Failover: not measured.';
  return [
    `Floor: ws + msgpackr round trip on loopback p50 ${fixed(report.floor.roundTripP50Ms, 3)} ms; write + fdatasync p50: ${fsync}.`,
    `Floor per commit = round trip + fdatasync with as many processes syncing as acceptors: 3 → ${fixed(floorMs(report, 3), 3)} ms, 5 → ${fixed(floorMs(report, 5), 3)} ms.`,
    '',
    table,
    '',
    failover,
    report.etcd.skipped
      ? `etcd: skipped (${report.etcd.skipped}).`
      : `etcd ${report.etcd.version}, 3 members on loopback.`,
    `${report.quick ? 'Quick' : 'Full'} run: ${report.settings.warmupMs} ms warm-up${report.settings.warmupOperationsMin ? ` and at least ${report.settings.warmupOperationsMin} commands` : ''}, ${report.settings.measureMs} ms measured per row, ${report.settings.valueBytes}-byte values; ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}.`,
    ...roundsLines(report),
  ].join('\n');
}

/** With --rounds: say that the table holds medians, and show each row's spread over the rounds. */
function roundsLines(report: BenchReport): string[] {
  const rounds = report.settings.rounds ?? 1;
  if (rounds <= 1) return [];
  return [
    `Each row is the median of ${rounds} rounds, the systems measured in a different order each round; per round (cmds/s, p50 ms):`,
    ...report.rows
      .filter((row) => row.rounds !== undefined)
      .map(
        (row) =>
          `  ${row.system} n=${row.acceptors} c=${row.concurrency}: ${(row.rounds?.commandsPerSecond ?? []).map((v) => Math.round(v)).join(' / ')} cmds/s; ${(row.rounds?.p50Ms ?? []).map((v) => fixed(v, 3)).join(' / ')} ms`,
      ),
  ];
}

const palette: Readonly<Record<string, string>> = {
  evpaxos: '#2b6cb0',
  baseline: '#a0aec0',
  bare: '#38a169',
  etcd: '#dd6b20',
};

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Two panels of grouped bars (log scale): commands/s and p50 latency, per concurrency. */
export function renderChart(report: BenchReport): string {
  const series = [...new Set(report.rows.map((row) => `${row.system} n=${row.acceptors}`))];
  const concurrencies = report.settings.concurrencies;
  const width = 900;
  const panelHeight = 260;
  const left = 70;
  const groupWidth = (width - left - 20) / concurrencies.length;
  const barWidth = Math.min(40, (groupWidth - 20) / Math.max(1, series.length));
  const parts: string[] = [];
  const panel = (top: number, title: string, value: (row: SystemRow) => number, unit: string) => {
    const values = report.rows.map(value).filter((v) => Number.isFinite(v) && v > 0);
    const low = Math.pow(10, Math.floor(Math.log10(Math.min(...values))));
    const high = Math.pow(10, Math.ceil(Math.log10(Math.max(...values))));
    const y = (v: number) =>
      top + 30 + (panelHeight - 60) * (1 - Math.log10(v / low) / Math.log10(high / low));
    parts.push(
      `<text x="${left}" y="${top + 18}" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    );
    for (let tick = low; tick <= high * 1.0001; tick *= 10) {
      parts.push(
        `<line x1="${left}" x2="${width - 20}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e2e8f0"/>`,
        `<text x="${left - 6}" y="${y(tick) + 4}" font-size="11" text-anchor="end">${tick >= 1 ? tick.toLocaleString('en') : tick} ${unit}</text>`,
      );
    }
    concurrencies.forEach((concurrency, group) => {
      const x0 = left + group * groupWidth + 10;
      parts.push(
        `<text x="${x0 + (series.length * barWidth) / 2}" y="${top + panelHeight - 12}" font-size="12" text-anchor="middle">concurrency ${concurrency}</text>`,
      );
      series.forEach((name, index) => {
        const row = report.rows.find(
          (r) => `${r.system} n=${r.acceptors}` === name && r.concurrency === concurrency,
        );
        if (!row || !(value(row) > 0)) return;
        const color = palette[row.system] ?? '#718096';
        const opacity = row.system !== 'etcd' && row.acceptors === 3 ? 0.55 : 1;
        const barTop = y(value(row));
        const bottom = y(low);
        const x = x0 + index * barWidth;
        parts.push(
          `<rect x="${x}" y="${barTop}" width="${barWidth - 3}" height="${Math.max(1, bottom - barTop)}" fill="${color}" fill-opacity="${opacity}"><title>${escapeXml(`${name}, concurrency ${concurrency}: ${value(row).toFixed(3)} ${unit}`)}</title></rect>`,
        );
      });
    });
  };
  panel(10, 'Throughput (commands/s, higher is better)', (row) => row.commandsPerSecond, '/s');
  panel(10 + panelHeight, 'p50 latency (ms, lower is better)', (row) => row.p50Ms, 'ms');
  const legendTop = 2 * panelHeight + 20;
  series.forEach((name, index) => {
    const system = name.split(' ')[0] ?? '';
    const opacity = system !== 'etcd' && name.endsWith('n=3') ? 0.55 : 1;
    parts.push(
      `<rect x="${left + index * 150}" y="${legendTop}" width="12" height="12" fill="${palette[system] ?? '#718096'}" fill-opacity="${opacity}"/>`,
      `<text x="${left + index * 150 + 18}" y="${legendTop + 11}" font-size="12">${escapeXml(name)}</text>`,
    );
  });
  const height = legendTop + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
