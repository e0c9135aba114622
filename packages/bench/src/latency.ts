/** Latency samples in milliseconds, growable without a per-sample allocation. */
export class Samples {
  private values = new Float64Array(1024);
  private size = 0;

  get count(): number {
    return this.size;
  }

  add(valueMs: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size] = valueMs;
    this.size += 1;
  }

  /** The q-quantile (0..1), nearest-rank; NaN when empty. */
  quantile(q: number): number {
    if (this.size === 0) return Number.NaN;
    const sorted = this.values.slice(0, this.size).sort();
    const rank = Math.min(this.size - 1, Math.max(0, Math.ceil(q * this.size) - 1));
    return sorted[rank] as number;
  }

  summary(): LatencySummary {
    return { count: this.size, p50Ms: this.quantile(0.5), p99Ms: this.quantile(0.99) };
  }
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** The median of a few numbers (e.g. trials). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function nowMs(): number {
  return performance.now();
}
