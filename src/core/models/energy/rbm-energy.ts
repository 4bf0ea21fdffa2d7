/**
 * The restricted Boltzmann machine's energy and its Gibbs sampler, as pure functions of
 * its weights (the model, the AIS estimator and the tests share them).
 *
 * Binary visible units v (D of them, the pixels) and hidden units h (H of them), with
 *   E(v, h) = -v'Wh - b'v - c'h,   p(v, h) = exp(-E(v, h)) / Z.
 * No unit talks to another of its own layer (the "restricted"), so given v the hidden
 * units are independent, and given h the visible ones:
 *   p(h_j = 1 | v) = sigmoid(c_j + (v'W)_j),   p(v_i = 1 | h) = sigmoid(b_i + (Wh)_i).
 * Summing h out leaves p(v) = exp(-F(v)) / Z with the free energy
 *   F(v) = -b'v - sum_j softplus(c_j + (v'W)_j).
 * Hinton, "A Practical Guide to Training Restricted Boltzmann Machines" (2010),
 * https://www.cs.toronto.edu/~hinton/absps/guideTR.pdf
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../random';

/** The parameters: tensors or variables. */
export interface RbmWeights {
  /** W: [D, H]; column j is hidden unit j's filter. */
  weights: tf.Tensor2D;
  /** b: [D]. */
  visibleBias: tf.Tensor1D;
  /** c: [H]. */
  hiddenBias: tf.Tensor1D;
}

/** The hidden units' input c + v'W: [B, D] -> [B, H]. Free energy, p(h | v) and the pseudo-likelihood all start from it. */
export function hiddenInput(rbm: RbmWeights, v: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => v.matMul(rbm.weights).add(rbm.hiddenBias) as tf.Tensor2D);
}

/** p(h = 1 | v) = sigmoid(c + v'W): [B, D] -> [B, H]. */
export function hiddenProbabilities(rbm: RbmWeights, v: tf.Tensor2D, input?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.sigmoid(input ?? hiddenInput(rbm, v)) as tf.Tensor2D);
}

/** p(v = 1 | h) = sigmoid(b + Wh): [B, H] -> [B, D]. */
export function visibleProbabilities(rbm: RbmWeights, h: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.sigmoid(h.matMul(rbm.weights, false, true).add(rbm.visibleBias)) as tf.Tensor2D);
}

/** F(v) = -b'v - sum_j softplus(c_j + (v'W)_j): [B, D] -> [B]. */
export function freeEnergy(rbm: RbmWeights, v: tf.Tensor2D, input?: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const biasTerm = v.mul(rbm.visibleBias).sum(1);
    const hiddenTerm = tf.softplus(input ?? hiddenInput(rbm, v)).sum(1);
    return biasTerm.add(hiddenTerm).neg() as tf.Tensor1D;
  });
}

/** E(v, h) = -v'Wh - b'v - c'h: [B, D], [B, H] -> [B]. */
export function energy(rbm: RbmWeights, v: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const interaction = v.matMul(rbm.weights).mul(h).sum(1);
    return interaction.add(v.mul(rbm.visibleBias).sum(1)).add(h.mul(rbm.hiddenBias).sum(1)).neg() as tf.Tensor1D;
  });
}

/** Binary states, 1 with probability p: [u < p] with u uniform, seeded by `random`. */
export function bernoulli<T extends tf.Tensor>(p: T, random: Random): T {
  return tf.tidy(() => tf.randomUniform(p.shape, 0, 1, 'float32', random.seed()).less(p).toFloat() as T);
}

export interface GibbsStep {
  /** h ~ p(h | v_before): [B, H]. */
  hidden: tf.Tensor2D;
  /** p(v = 1 | h): [B, D], the mean of the next state (what the views draw). */
  visibleMean: tf.Tensor2D;
  /** v ~ p(v | h): [B, D], the chain's next state. */
  visible: tf.Tensor2D;
}

/** One step of block Gibbs sampling: h ~ p(h | v), then v ~ p(v | h). */
export function gibbsStep(rbm: RbmWeights, v: tf.Tensor2D, random: Random, hiddenMean?: tf.Tensor2D): GibbsStep {
  return tf.tidy(() => {
    const hidden = bernoulli(hiddenMean ?? hiddenProbabilities(rbm, v), random);
    const visibleMean = visibleProbabilities(rbm, hidden);
    return { hidden, visibleMean, visible: bernoulli(visibleMean, random) };
  });
}

/** k Gibbs steps from v: the chain's state after them and its last visible mean. */
export function gibbsChain(rbm: RbmWeights, v: tf.Tensor2D, k: number, random: Random): { visible: tf.Tensor2D; visibleMean: tf.Tensor2D } {
  return tf.tidy(() => {
    let step = gibbsStep(rbm, v, random);
    for (let i = 1; i < k; i++) step = gibbsStep(rbm, step.visible, random);
    return { visible: step.visible, visibleMean: step.visibleMean };
  });
}

/** Gradients of the negative log-likelihood, named as the parameters: d(-log p(v)) / dW, db, dc. */
export interface RbmGradients {
  weights: tf.Tensor2D;
  visibleBias: tf.Tensor1D;
  hiddenBias: tf.Tensor1D;
}

/**
 * The gradient of the average log-likelihood is a difference of statistics,
 *   d log p(v) / dW_ij = <v_i h_j>_data - <v_i h_j>_model,
 * (and <v_i>, <h_j> for b and c), with h_j replaced by its probability p(h_j = 1 | v) on
 * both sides, which has the same expectation and less noise (Hinton's guide, 3.1-3.3).
 * "Model" is whatever stands in for samples of the model: the end of a CD-k chain, or the
 * persistent chains. Returned with the sign flipped, for an optimizer that descends.
 * data, model: [B, D] and [M, D] visible states (B and M need not match).
 */
export function likelihoodGradients(rbm: RbmWeights, data: tf.Tensor2D, model: tf.Tensor2D, dataHidden?: tf.Tensor2D): RbmGradients {
  return tf.tidy(() => {
    const [hData, hModel] = [dataHidden ?? hiddenProbabilities(rbm, data), hiddenProbabilities(rbm, model)];
    // <v h'>: [D, B] x [B, H] / B -> [D, H]
    const dataStats = data.matMul(hData, true, false).div(data.shape[0]);
    const modelStats = model.matMul(hModel, true, false).div(model.shape[0]);
    return {
      weights: modelStats.sub(dataStats) as tf.Tensor2D,
      visibleBias: model.mean(0).sub(data.mean(0)) as tf.Tensor1D,
      hiddenBias: hModel.mean(0).sub(hData.mean(0)) as tf.Tensor1D,
    };
  });
}

/**
 * The stochastic log pseudo-likelihood of scikit-learn's BernoulliRBM: for each image one
 * random bit i is flipped (v~), and
 *   D log p(v_i | v_-i) = D log sigmoid(F(v~) - F(v)),
 * an unbiased estimate of the sum over all D bits of log p(v_i | the others).
 * v: [B, D] -> [B], in nats (at most 0; higher is better).
 */
export function pseudoLikelihood(rbm: RbmWeights, v: tf.Tensor2D, seed: number, dataInput?: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const input = dataInput ?? hiddenInput(rbm, v);
    const [count, size] = v.shape;
    const bit = tf.randomUniform([count], 0, size, 'int32', seed) as tf.Tensor1D;
    // flipping bit i moves it by d = 1 - 2 v_i: [B, 1]
    const change = tf.oneHot(bit, size).toFloat().mul(v).sum(1, true).mul(-2).add(1);
    const flipped = v.add(tf.oneHot(bit, size).toFloat().mul(change)) as tf.Tensor2D;
    // the hidden input of v~ without another product with W: c + v'W + d W_i (W_i: row i, [B, H])
    const flippedInput = input.add(tf.gather(rbm.weights, bit).mul(change)) as tf.Tensor2D;
    return tf.logSigmoid(freeEnergy(rbm, flipped, flippedInput).sub(freeEnergy(rbm, v, input))).mul(size) as tf.Tensor1D;
  });
}

/** Squared distance between images and their one-step reconstructions p(v | h), h ~ p(h | v): [B, D] -> [B]. */
export function reconstructionError(rbm: RbmWeights, v: tf.Tensor2D, random: Random): tf.Tensor1D {
  return tf.tidy(() => v.sub(gibbsStep(rbm, v, random).visibleMean).square().sum(1) as tf.Tensor1D);
}
