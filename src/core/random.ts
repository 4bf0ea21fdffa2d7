/**
 * Seeded pseudo-random numbers, so that a shared link reproduces a run's batches, initial
 * weights and samples. Math.random cannot be seeded.
 */

/** A random source: `next()` is uniform in [0, 1). */
export interface Random {
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal draw (Box-Muller). */
  normal(): number;
  /** A fresh 32-bit seed, for tf ops and initializers that take one. */
  seed(): number;
  /** Where the sequence stands: a checkpoint keeps it, so a resumed run draws what the original would have. */
  getState(): number;
  setState(state: number): void;
}

/** mulberry32: tiny, fast and good enough for sampling batches (not for cryptography). */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      // Box-Muller: z = sqrt(-2 ln u1) cos(2 pi u2); 1 - u keeps the log finite.
      const u1 = 1 - next();
      const u2 = next();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
    seed: () => Math.floor(next() * 2 ** 31),
    getState: () => state,
    setState: (saved) => {
      state = saved >>> 0;
    },
  };
}

/** A seed for item `index` of a seeded collection: the same item gets the same draws, whatever else is drawn with it. */
export function itemSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}
