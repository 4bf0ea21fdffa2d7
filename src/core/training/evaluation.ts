/**
 * Held-out figures computed in bounded chunks: each chunk is one tidy batch of work, and
 * between chunks the evaluation checks in with its job (so a pause or reset stops it
 * there, and the page never waits for a whole evaluation). Memory stays that of one chunk
 * however many examples are evaluated.
 */
import * as tf from '@tensorflow/tfjs';
import type { Split } from '../datasets/catalog';
import type { EvaluationContext } from '../models/model';
import { readAndDispose } from './readback';

/** The usual held-out figures: the first 1,000 test examples, 250 at a time. */
export const HELD_OUT_PLAN = { size: 1000, chunk: 250 } as const;

/** How many examples a plan evaluates on a dataset, for its label: the plan's size, or the whole split where that is smaller (the emoji have 370 test images). */
export function examplesEvaluated(counts: Readonly<Record<Split, number>>, { size, split = 'test' }: Pick<ChunkPlan, 'size' | 'split'>): string {
  return Math.min(size, counts[split]).toLocaleString('en-US');
}

export interface ChunkPlan {
  /** Examples evaluated: the first `size` of the split (fewer if the split is smaller). */
  size: number;
  /** Examples per chunk. */
  chunk: number;
  split?: Split;
}

/**
 * The mean over held-out examples of per-example values: `measure` maps the indices of a
 * chunk to one [n] tensor per figure, and the figures are averaged over all chunks.
 */
export async function heldOutMeans(
  { data, job }: EvaluationContext,
  { size, chunk, split = 'test' }: ChunkPlan,
  measure: (indices: number[]) => Record<string, tf.Tensor1D>,
): Promise<Record<string, number>> {
  const indices = data.firstIndices(size, split);
  const sums: Record<string, number> = {};
  for (let start = 0; start < indices.length; start += chunk) {
    const part = indices.slice(start, start + chunk);
    // [figures], the sum of each figure over the chunk, read back once
    const names: string[] = [];
    const totals = tf.tidy(() => {
      const values = measure(part);
      names.push(...Object.keys(values));
      return tf.stack(names.map((name) => values[name].sum()));
    });
    const [read] = await readAndDispose(totals);
    names.forEach((name, i) => (sums[name] = (sums[name] ?? 0) + read[i]));
    if (start + chunk < indices.length) await job.checkpoint();
  }
  return Object.fromEntries(Object.entries(sums).map(([name, sum]) => [name, sum / indices.length]));
}
