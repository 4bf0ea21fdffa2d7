/**
 * Where a deep EBM's Langevin chains start (Du and Mordatch 2019, section 3.1): mostly
 * from samples of earlier steps, so that short chains go on where the last ones stopped
 * and reach far, and a small share from fresh noise, so that new regions are still
 * visited. The buffer lives on the device as one tensor [size, ...example], updated in
 * place of the rows a step drew; it is part of the model's state.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import { overwriteRows } from '../../wasm-heap-overwrite';
import type { ModelState, StatePart } from '../../training/model-state';

export class ReplayBuffer implements StatePart {
  private examples: tf.Tensor;

  constructor(
    readonly size: number,
    /** n fresh starting points: [n, ...example]. */
    private readonly fresh: (n: number, random: Random) => tf.Tensor,
    random: Random,
  ) {
    this.examples = tf.keep(fresh(size, random));
  }

  /**
   * n distinct rows of the buffer, a share of them replaced by fresh noise: the chains'
   * starting points [n, ...example], and which rows to write their ends back to.
   */
  draw(n: number, restartShare: number, random: Random): { rows: tf.Tensor1D; start: tf.Tensor } {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(n, this.size)) chosen.add(random.int(this.size));
    const rows = tf.tensor1d([...chosen], 'int32');
    // which chains start from noise instead, by their place in the batch
    const restarted = Array.from({ length: chosen.size }, (_, i) => i).filter(() => random.next() < restartShare);
    const start = tf.tidy(() => {
      const kept = tf.gather(this.examples, rows);
      if (restarted.length === 0) return kept;
      // noise for the restarted chains alone, written over their rows (in place on WASM: kept is given up): a whole batch of it took 1 ms of a step (in JavaScript), for the 5% kept
      return overwriteRows(kept, tf.tensor1d(restarted, 'int32'), this.fresh(restarted.length, random));
    });
    return { rows, start };
  }

  /** The chains' ends go back to the rows they started from (in place on WASM: the old tensor is given up). */
  store(rows: tf.Tensor1D, ends: tf.Tensor): void {
    this.examples = tf.keep(overwriteRows(this.examples, rows, ends));
  }

  /** The first n rows, for drawing what the chains have reached. */
  peek(n: number): tf.Tensor {
    return this.examples.slice(0, Math.min(n, this.size));
  }

  async save(): Promise<ModelState> {
    return { tensors: { examples: this.examples.clone() }, numbers: {} };
  }

  async load({ tensors }: ModelState): Promise<void> {
    const saved = tensors.examples;
    if (!saved || !tf.util.arraysEqual(saved.shape, this.examples.shape)) throw new Error('The checkpoint holds a replay buffer of another size');
    this.examples.dispose();
    this.examples = tf.keep(saved.clone());
  }

  dispose(): void {
    this.examples.dispose();
  }
}
