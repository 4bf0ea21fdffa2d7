import type * as tf from '@tensorflow/tfjs';

/** Best of `rounds` rounds of `reps` runs after two warm-up runs, ms per run: on a shared machine the least is the closest to what the code costs. */
export function bestTime(run: () => tf.Tensor, reps: number, rounds = 3): number {
  for (let i = 0; i < 2; i++) run().dispose();
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) run().dispose();
    best = Math.min(best, (performance.now() - start) / reps);
  }
  return best;
}
