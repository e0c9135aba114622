/**
 * A small seeded PRNG (mulberry32). The pure core never calls Math.random: every random choice
 * (election timeouts, the simulator's faults) comes from one of these, so a seed replays a run.
 */
export type Random = () => number;

export function createPrng(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max] inclusive. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** One of `items`, drawn from `random`. */
export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[randomInt(random, 0, items.length - 1)];
  if (item === undefined) throw new Error('Invariant: pick from an empty list');
  return item;
}

/** 0, 1, …, count - 1. */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
