/**
 * What a restricted Boltzmann machine shows: its filters (each hidden unit's weights as an
 * image), Gibbs chains from random pixels as a film, and the panels built from them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import type { JobContext } from '../../training/jobs';
import { imageGridPanel, type ImageGridPanel } from '../../views/panels';
import { bernoulli, gibbsStep, type RbmWeights } from './rbm-energy';

/** Gibbs steps taken in one tidy block between check-ins with the job. */
const STEPS_PER_BLOCK = 25;

/**
 * The first `count` filters: column j of W, shaped as an image, grey at 0, white for the
 * largest positive weight of that filter and black for its negative (each filter on its
 * own scale, so weak detectors show their shape too).
 */
export async function filtersPanel(weights: tf.Tensor2D, shape: readonly number[], count: number): Promise<ImageGridPanel> {
  const shown = Math.min(count, weights.shape[1]);
  // [D, H] -> [shown, D] -> [shown, height, width, channels]
  const images = tf.tidy(() => {
    const filters = weights.slice([0, 0], [-1, shown]).transpose();
    const scale = filters.abs().max(1, true).add(1e-8);
    return filters.div(scale).mul(0.5).add(0.5).reshape([shown, ...shape]) as tf.Tensor4D;
  });
  try {
    return await imageGridPanel(images, {
      id: 'filters',
      title: 'Filters',
      caption: `The weights of ${shown} of the ${weights.shape[1]} hidden units, each as an image: white where a pixel that is on switches the unit on, black where it switches it off, grey where it does not matter.`,
      columns: Math.min(16, shown),
    });
  } finally {
    images.dispose();
  }
}

/**
 * Where chains start: each pixel on with probability sigmoid(b_i), what the visible biases
 * alone say, so mostly-off images with ink where digits have it. Not pixels on with
 * probability 1/2: CD never visits such noise, so a CD-trained RBM can keep a spurious mode
 * there, and chains started in it stay grey.
 */
export function startProbabilities(rbm: RbmWeights, n: number): tf.Tensor2D {
  return tf.tidy(() => tf.sigmoid(rbm.visibleBias).expandDims(0).tile([n, 1]) as tf.Tensor2D);
}

export interface ChainRun {
  /** The last visible means p(v | h) of every chain: [n, D]. */
  visibleMean: tf.Tensor2D;
  /** The first chains' visible means at steps 0, every, 2 every, ..., steps: one [shown, D] per column. */
  columns: tf.Tensor2D[];
}

/**
 * n Gibbs chains from random pixels (startProbabilities), `steps` steps each;
 * the first `shown` chains are recorded every `every` steps. `onColumn` sees each new
 * column (to show the film as it grows).
 */
export async function runChains(
  rbm: RbmWeights,
  n: number,
  steps: number,
  random: Random,
  record: { shown: number; every: number; onColumn?: (columns: tf.Tensor2D[], step: number) => Promise<void> },
  job?: JobContext,
): Promise<ChainRun> {
  let state = tf.tidy(() => bernoulli(startProbabilities(rbm, n), random));
  let mean = state.clone();
  const columns = [tf.tidy(() => mean.slice([0, 0], [record.shown, -1]))];
  try {
    for (let done = 0; done < steps; ) {
      const block = Math.min(STEPS_PER_BLOCK, steps - done);
      const recorded: number[] = [];
      const [nextState, nextMean, newColumns] = tf.tidy(() => {
        let [v, m] = [state, mean];
        const kept: tf.Tensor2D[] = [];
        for (let i = 1; i <= block; i++) {
          const step = gibbsStep(rbm, v, random);
          [v, m] = [step.visible, step.visibleMean];
          if ((done + i) % record.every === 0 || done + i === steps) {
            kept.push(m.slice([0, 0], [record.shown, -1]));
            recorded.push(done + i);
          }
        }
        return [v, m, kept] as const;
      });
      tf.dispose([state, mean]);
      [state, mean] = [nextState, nextMean];
      done += block;
      for (let i = 0; i < newColumns.length; i++) {
        columns.push(newColumns[i]);
        await record.onColumn?.(columns, recorded[i]);
      }
      await job?.checkpoint();
    }
    state.dispose();
    return { visibleMean: mean, columns };
  } catch (error) {
    tf.dispose([state, mean, ...columns]);
    throw error;
  }
}

/** The recorded chains as a film: a row per chain, a column per moment, left to right. */
export async function filmPanel(columns: tf.Tensor2D[], shape: readonly number[], every: number, step: number, steps: number, id: string): Promise<ImageGridPanel> {
  const rows = columns[0].shape[0];
  // columns of [rows, D] -> [rows, columns, D] -> [rows * columns, ...shape], chain by chain
  const grid = tf.tidy(() => tf.stack(columns, 1).reshape([rows * columns.length, ...shape]) as tf.Tensor4D);
  try {
    return await imageGridPanel(grid, {
      id,
      title: 'Gibbs chains',
      caption:
        `Each row one chain, from random pixels drawn by the visible biases alone (left) to a sample (right): p(v | h) every ${every} of its ${steps} Gibbs steps, ` +
        `each step drawing all hidden units from p(h | v), then all pixels from p(v | h)${step < steps ? `: step ${step} of ${steps}` : ''}.`,
      columns: columns.length,
    });
  } finally {
    grid.dispose();
  }
}

/** The first `count` rows of binary states or probabilities [n, D] as a grid of images. */
export async function statesPanel(states: tf.Tensor2D, shape: readonly number[], count: number, options: Pick<ImageGridPanel, 'id' | 'title' | 'caption' | 'columns' | 'rowLabels'>): Promise<ImageGridPanel> {
  // [n, D] -> [count, height, width, channels]
  const shown = tf.tidy(() => states.slice([0, 0], [Math.min(count, states.shape[0]), -1]).reshape([-1, ...shape]) as tf.Tensor4D);
  try {
    return await imageGridPanel(shown, options);
  } finally {
    shown.dispose();
  }
}
