/**
 * The Prometheus text exposition format (version 0.0.4) of a node's few metrics (docs/DASHBOARD.md,
 * "GET /metrics"). Written here rather than taken from prom-client: a node has eleven metrics whose
 * values it already keeps, and prom-client (with @opentelemetry/api) lived in every node's heap from
 * start to exit for a page read only when scraped: 0.35–0.4 MiB of a charge point's heap after a
 * full GC and 68 KiB of its bundle (docs/BENCHMARKS.md, "Issue 21: a charge point's heap, fifth
 * session"). The output is the text prom-client printed: same order, labels and bucket bounds.
 */

export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export type Labels = Readonly<Record<string, string>>;

/** One line of a metric: `name[suffix]{labels, default labels} value`. */
export interface Sample {
  /** `_bucket`, `_sum`, `_count` of a histogram; none for a counter or gauge. */
  readonly suffix?: string;
  readonly labels?: Labels;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

/** A value as the format writes it: integers and decimals as JavaScript prints them, ±Inf, NaN. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return String(value);
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(text: string): string {
  return escapeHelp(text).replace(/"/g, '\\"');
}

function formatLabels(labels: Labels, defaultLabels: Labels): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    parts.push(`${name}="${escapeLabelValue(value)}"`);
  }
  for (const [name, value] of Object.entries(defaultLabels)) {
    if (!Object.prototype.hasOwnProperty.call(labels, name)) {
      parts.push(`${name}="${escapeLabelValue(value)}"`);
    }
  }
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** The whole page: each family's HELP, TYPE and samples, families apart by a blank line. */
export function renderMetrics(families: readonly MetricFamily[], defaultLabels: Labels): string {
  const blocks = families.map((family) => {
    const lines = [
      `# HELP ${family.name} ${escapeHelp(family.help)}`,
      `# TYPE ${family.name} ${family.type}`,
    ];
    for (const sample of family.samples) {
      const labels = formatLabels(sample.labels ?? {}, defaultLabels);
      lines.push(`${family.name}${sample.suffix ?? ''}${labels} ${formatValue(sample.value)}`);
    }
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

/**
 * A cumulative histogram with fixed upper bounds (`le`), as Prometheus reads it: each bucket counts
 * the observations at most its bound, `+Inf` all of them.
 */
export class Histogram {
  private readonly buckets: { readonly upperBound: number; count: number }[];
  private sum = 0;
  private count = 0;

  constructor(upperBounds: readonly number[]) {
    this.buckets = upperBounds.map((upperBound) => ({ upperBound, count: 0 }));
  }

  observe(value: number): void {
    const bucket = this.buckets.find((candidate) => value <= candidate.upperBound);
    if (bucket !== undefined) bucket.count += 1;
    this.sum += value;
    this.count += 1;
  }

  samples(): Sample[] {
    const samples: Sample[] = [];
    let cumulative = 0;
    for (const bucket of this.buckets) {
      cumulative += bucket.count;
      samples.push({
        suffix: '_bucket',
        labels: { le: formatValue(bucket.upperBound) },
        value: cumulative,
      });
    }
    samples.push({ suffix: '_bucket', labels: { le: '+Inf' }, value: this.count });
    samples.push({ suffix: '_sum', value: this.sum });
    samples.push({ suffix: '_count', value: this.count });
    return samples;
  }

  /** Cumulative counts by `le` (with `+Inf`), the sum and the count: what a stats line logs. */
  summary(): { buckets: Record<string, number>; count: number; sum: number } {
    const buckets: Record<string, number> = {};
    for (const sample of this.samples()) {
      if (sample.suffix === '_bucket' && sample.labels?.le !== undefined) {
        buckets[sample.labels.le] = sample.value;
      }
    }
    return { buckets, count: this.count, sum: this.sum };
  }
}
