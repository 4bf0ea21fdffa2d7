/**
 * Annealed importance sampling of an RBM's partition function.
 *
 * R. Salakhutdinov and I. Murray, "On the Quantitative Analysis of Deep Belief Networks",
 * ICML 2008, https://www.cs.toronto.edu/~rsalakhu/papers/dbn_ais.pdf (after R. Neal,
 * "Annealed Importance Sampling", 2001).
 *
 * Z = sum_v exp(-F(v)) has 2^D terms. AIS starts from a model whose Z is known, a
 * "base-rate" RBM with no weights, only visible biases b_A (from the data's pixel means):
 *   Z_A = prod_i (1 + exp(b_A,i)),
 * and walks M chains through distributions between it and the RBM B, at inverse
 * temperatures 0 = beta_0 < beta_1 < ... < beta_K = 1:
 *   log p*_beta(v) = (1 - beta) b_A'v + beta b'v + sum_j softplus(beta (c_j + (v'W)_j)).
 * Each chain's importance weight multiplies the ratios p*_k(v_k) / p*_(k-1)(v_k) along the
 * way, with v_(k+1) drawn from a Gibbs step that leaves p_k unchanged; the mean weight is
 * an unbiased estimate of Z_B / Z_A:
 *   log Z_B ~ log Z_A + log((1/M) sum_m w_m).
 * The RBM's H hidden units are summed out at every temperature; at beta = 0 they are tied
 * to nothing, and each doubles the sum: Z_0 = 2^H prod_i (1 + exp(b_A,i)).
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';
import { bernoulli, type RbmWeights } from './rbm-energy';

export interface AisSettings {
  /** M, the number of independent annealing runs. */
  runs: number;
  /** K, the number of inverse temperatures after 0 (the paper: 14,500). */
  temperatures: number;
}

/** Temperatures walked in one tidy chunk, between check-ins with the job. */
const CHUNK = 100;

/**
 * K + 1 inverse temperatures from 0 to 1, spaced as in Salakhutdinov and Murray (500
 * evenly in [0, 0.5], 4,000 in [0.5, 0.9], 10,000 in [0.9, 1]): densest near 1, where the
 * RBM's own structure appears and the distributions change fastest.
 */
export function annealingSchedule(temperatures: number): Float64Array {
  const pieces: [number, number, number][] = [
    [0, 0.5, 500],
    [0.5, 0.9, 4000],
    [0.9, 1, 10000],
  ];
  const total = pieces.reduce((sum, [, , share]) => sum + share, 0);
  const betas = new Float64Array(temperatures + 1);
  let index = 0;
  pieces.forEach(([from, to, share], p) => {
    const last = p === pieces.length - 1;
    const count = last ? temperatures - index : Math.max(1, Math.round((temperatures * share) / total));
    for (let i = 1; i <= count; i++) betas[++index] = from + ((to - from) * i) / count;
  });
  betas[temperatures] = 1;
  return betas;
}

/** The base-rate visible biases: b_A,i = log(p_i / (1 - p_i)), p_i the share of images with pixel i on, smoothed away from 0 and 1. */
export function baseRateBiases(meanImage: tf.Tensor1D, images: number): tf.Tensor1D {
  return tf.tidy(() => {
    // (count + 1/2) / (n + 1): a pixel never on in the data still gets a small chance
    const p = meanImage.mul(images).add(0.5).div(images + 1);
    return p.div(tf.scalar(1).sub(p)).log() as tf.Tensor1D;
  });
}

/** log p*_beta(v) for one beta, given v'W + c already computed: [M, D], [M, H] -> [M]. */
function logUnnormalized(v: tf.Tensor2D, preActivation: tf.Tensor2D, rbm: RbmWeights, base: tf.Tensor1D, beta: number): tf.Tensor1D {
  const visible = v.mul(base.mul(1 - beta).add(rbm.visibleBias.mul(beta))).sum(1);
  return visible.add(tf.softplus(preActivation.mul(beta)).sum(1)) as tf.Tensor1D;
}

export interface AisResult {
  /** The estimate of log Z. */
  logZ: number;
  /** log Z_0: the base-rate model's, times 2^H for the RBM's hidden units. */
  logZBase: number;
  /** Each run's log importance weight: their spread says how much to trust logZ. */
  logWeights: Float64Array;
}

/**
 * Estimates log Z of `rbm` by AIS from the base-rate model with visible biases `base`.
 * `progress` is called after every chunk of temperatures with the share done and the
 * runs' current states ([M, D]), and may stop the work by throwing (a cancelled job).
 */
export async function aisLogPartition(
  rbm: RbmWeights,
  base: tf.Tensor1D,
  { runs, temperatures }: AisSettings,
  random: Random,
  progress?: (done: number, states: tf.Tensor2D, beta: number) => Promise<void>,
): Promise<AisResult> {
  const betas = annealingSchedule(temperatures);
  const logWeights = new Float64Array(runs);
  // v_1 ~ p_0: independent pixels, on with probability sigmoid(b_A): [M, D]
  let v = tf.tidy(() => bernoulli(tf.sigmoid(base).expandDims(0).tile([runs, 1]) as tf.Tensor2D, random));
  try {
    for (let first = 1; first <= temperatures; first += CHUNK) {
      const last = Math.min(temperatures, first + CHUNK - 1);
      const [next, increments] = tf.tidy(() => {
        let state = v;
        let sum = tf.zeros([runs]) as tf.Tensor1D;
        for (let k = first; k <= last; k++) {
          const preActivation = state.matMul(rbm.weights).add(rbm.hiddenBias) as tf.Tensor2D;
          // log w += log p*_k(v_k) - log p*_(k-1)(v_k)
          sum = sum.add(logUnnormalized(state, preActivation, rbm, base, betas[k]).sub(logUnnormalized(state, preActivation, rbm, base, betas[k - 1])));
          if (k === temperatures) break;
          // v_(k+1) ~ T_k(v_k): h ~ p_k(h | v) = sigmoid(beta (c + v'W)), v ~ sigmoid((1 - beta) b_A + beta (b + Wh))
          const hidden = bernoulli(tf.sigmoid(preActivation.mul(betas[k])), random);
          const field = hidden.matMul(rbm.weights, false, true).mul(betas[k]).add(base.mul(1 - betas[k])).add(rbm.visibleBias.mul(betas[k]));
          state = bernoulli(tf.sigmoid(field) as tf.Tensor2D, random);
        }
        return [state, sum] as const;
      });
      v.dispose();
      v = next;
      // sums over a chunk in float32, the running total in float64: thousands of small terms
      const chunkSums = await increments.data();
      increments.dispose();
      chunkSums.forEach((value, m) => (logWeights[m] += value));
      await progress?.(last / temperatures, v, betas[last]);
    }
  } finally {
    v.dispose();
  }
  // log Z_0 = H log 2 + sum_i softplus(b_A,i)
  const logZBase = rbm.hiddenBias.shape[0] * Math.LN2 + (await readScalar(tf.tidy(() => tf.softplus(base).sum())));
  return { logZ: logZBase + logMeanExp(logWeights), logZBase, logWeights };
}

async function readScalar(value: tf.Tensor): Promise<number> {
  try {
    return (await value.data())[0];
  } finally {
    value.dispose();
  }
}

/** log((1/n) sum exp(x)), without overflow. */
export function logMeanExp(values: ArrayLike<number>): number {
  let high = -Infinity;
  for (let i = 0; i < values.length; i++) high = Math.max(high, values[i]);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i] - high);
  return high + Math.log(sum / values.length);
}
