/**
 * The discretized logistic mixture likelihood of PixelCNN++.
 *
 * Paper: T. Salimans, A. Karpathy, X. Chen and D. P. Kingma, "PixelCNN++: Improving the
 * PixelCNN with Discretized Logistic Mixture Likelihood and Other Modifications", ICLR
 * 2017, section 2.1. https://arxiv.org/abs/1701.05517
 *
 * A value v in 0..255 is read as x = 2v/255 - 1 in [-1, 1], and its probability is the
 * mass a mixture of K logistic densities puts on its bin of width 2/255:
 *   P(x) = sum_k pi_k [sigma((x + 1/255 - mu_k) / s_k) - sigma((x - 1/255 - mu_k) / s_k)]
 * where the edge bins reach to infinity, so no mass is lost outside [-1, 1]:
 *   P(0)   = sum_k pi_k sigma((-1 + 1/255 - mu_k) / s_k)        (the CDF from -inf)
 *   P(255) = sum_k pi_k [1 - sigma((1 - 1/255 - mu_k) / s_k)]    (the CDF to +inf)
 * Neighbouring values get similar probabilities (200 is near 201), so 3K numbers a value
 * do what a 256-way softmax does with 256, and learn faster.
 *
 * Everything here is in the log domain, with s_k = exp(log_s_k): with a = (x + 1/255 -
 * mu) / s and b = (x - 1/255 - mu) / s,
 *   log [sigma(a) - sigma(b)] = a - softplus(a) - softplus(b) + log(-expm1(b - a)),
 * finite wherever the mass is, where the difference of two sigmoids would round to 0.
 */
import * as tf from '@tensorflow/tfjs';
import { hasMixtureBins, mixtureBins, mixtureLikelihood, usesMixtureLikelihood } from '../../wasm-heap-mixture';

/** Half a bin, in units of x: bins are 2/255 wide. */
const HALF_BIN = 1 / 255;
/** The paper's floor on log s: a narrower logistic gains nothing on 8-bit data and makes the loss spiky. */
export const MIN_LOG_SCALE = -7;
/** And a ceiling (ours): a logistic e^7 wide is flat over [-1, 1] already, and a wider one would round its bins' mass to 0 in float32. */
export const MAX_LOG_SCALE = 7;

/** A mixture per value: log pi_k (normalized), mu_k and log s_k, each [..., K]. */
export interface Mixture {
  logWeights: tf.Tensor;
  means: tf.Tensor;
  logScales: tf.Tensor;
}

/**
 * [...] values -> [..., 1]: 1 where a value is `edge`, else 0. A custom op with a zero
 * gradient: where the values come from the network's inputs (the sampler's canvas), autodiff
 * must not look for the gradient of a comparison, which TF.js does not have. One op per edge:
 * stacking both masks and slicing them apart again cost a bool stack (2 ms a call on WASM)
 * and two slices.
 */
function edgeMask(edge: number): (values: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const v = args[0] as tf.Tensor;
    return { value: v.equal(edge).toFloat().expandDims(-1), gradFunc: () => tf.zeros(v.shape) };
  }) as (values: tf.Tensor) => tf.Tensor;
}
const isFirstBin = edgeMask(0);
const isLastBin = edgeMask(255);

/** The values v (int32 0..255, any shape) as x = 2v/255 - 1, a trailing axis of 1 to meet K components. */
export function centreOfBin(values: tf.Tensor): tf.Tensor {
  return tf.tidy(() => values.toFloat().mul(2 / 255).sub(1).expandDims(-1));
}

/**
 * log of the mass of one logistic on one bin: x, mu, log s broadcast to [..., K]; edge
 * selects the bin's kind by value: v = 0 reaches to -inf, v = 255 to +inf.
 */
export function logBinMass(x: tf.Tensor, means: tf.Tensor, logScales: tf.Tensor, values: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inverseScale = logScales.neg().exp();
    const centred = x.sub(means);
    // a = (x + 1/255 - mu) / s, b = (x - 1/255 - mu) / s
    const upper = centred.add(HALF_BIN).mul(inverseScale);
    const lower = centred.sub(HALF_BIN).mul(inverseScale);
    // log [sigma(a) - sigma(b)] = a - softplus(a) - softplus(b) + log(1 - exp(b - a)), with b - a = -2/(255 s)
    const interior = upper.sub(tf.softplus(upper)).sub(tf.softplus(lower)).add(tf.expm1(inverseScale.mul(-2 * HALF_BIN)).neg().log());
    // log sigma(a) = -softplus(-a): the bin of 0 from -inf
    const first = tf.softplus(upper.neg()).neg();
    // log [1 - sigma(b)] = -softplus(b): the bin of 255 to +inf
    const last = tf.softplus(lower).neg();
    // [...] -> [..., 1] each, 1 where the value is 0 (or 255)
    const asFloats = values.toFloat();
    const [isFirst, isLast] = [isFirstBin(asFloats), isLastBin(asFloats)];
    // every branch is finite, so a weighted sum selects without NaN in any gradient
    return first.mul(isFirst).add(last.mul(isLast)).add(interior.mul(tf.onesLike(isFirst).sub(isFirst).sub(isLast)));
  });
}

/**
 * log sum_k exp(x_k) over the last axis, [..., K] -> [...], with its gradient written out:
 *   d/dx_k = exp(x_k - logsumexp(x)),   the softmax of x.
 * TF.js's composition also differentiates through the maximum it subtracts for stability
 * (terms that cancel), and that gradient compares every x_k with the maximum: a broadcast
 * Equal, 3 ms a call on WASM, a dozen calls a PixelCNN++ step.
 */
const logSumExpLast = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const value = tf.logSumExp(x, -1);
  save([x, value]);
  // [...] -> [..., 1] against x's K values
  return { value, gradFunc: (dy: tf.Tensor, [input, total]: tf.Tensor[]) => input.sub(total.expandDims(-1)).exp().mul(dy.expandDims(-1)) };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * log P(v) = log sum_k pi_k P_k(v) of the values v [...] under mixtures [..., K] -> [...]. On
 * WASM one kernel of ours forwards and one back (../../wasm-heap-mixture.ts), where the
 * values are int32 data, four or more, and the mixture has their shape; elsewhere TF.js's ops
 * (mixtureLogProbabilityByOps).
 */
export function mixtureLogProbability(mixture: Mixture, values: tf.Tensor): tf.Tensor {
  if (usesMixtureLikelihood(mixture.logWeights, mixture.means, mixture.logScales, values)) return mixtureLikelihood(mixture.logWeights, mixture.means, mixture.logScales, values);
  return mixtureLogProbabilityByOps(mixture, values);
}

/** mixtureLogProbability by TF.js's ops, on every backend. */
export function mixtureLogProbabilityByOps(mixture: Mixture, values: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const perComponent = logBinMass(centreOfBin(values), mixture.means, mixture.logScales, values);
    return logSumExpLast(perComponent.add(mixture.logWeights));
  });
}

/** The 256 values, as x and as v: [256, 1] each, against K components on the last axis. */
function allValues(): { x: tf.Tensor2D; v: tf.Tensor1D } {
  const v = tf.range(0, 256, 1, 'int32') as tf.Tensor1D;
  return { x: centreOfBin(v) as tf.Tensor2D, v };
}

/**
 * One component's log mass on each of the 256 bins, and its partial derivatives by mu and
 * by log s: params [N, 1] -> [N, 256] each. Derivatives from the log-domain form above
 * (sigma(-a) is d/da of -softplus(-a), sigma(b) of softplus(b)):
 *   d/dmu    = -(A - B) / s
 *   d/dlog s = -a A + b B - [interior] d / expm1(d),   d = a - b = 2 / (255 s)
 * with A = sigma(-a) except at 255 (no upper edge), B = sigma(b) except at 0 (no lower edge).
 */
function componentBins(mean: tf.Tensor2D, logScale: tf.Tensor2D, withDerivatives: boolean): { logMass: tf.Tensor2D; byMean?: tf.Tensor2D; byLogScale?: tf.Tensor2D } {
  const { x, v } = allValues();
  // [256, 1] -> [1, 256] against [N, 1]
  const xs = x.reshape([1, 256]);
  const logMass = logBinMass(xs.expandDims(-1), mean.expandDims(-1), logScale.expandDims(-1), v.reshape([1, 256])).squeeze([2]) as tf.Tensor2D;
  if (!withDerivatives) return { logMass };
  const inverseScale = logScale.neg().exp();
  const upper = xs.sub(mean).add(HALF_BIN).mul(inverseScale);
  const lower = xs.sub(mean).sub(HALF_BIN).mul(inverseScale);
  const notLast = v.notEqual(255).toFloat().reshape([1, 256]);
  const notFirst = v.notEqual(0).toFloat().reshape([1, 256]);
  const interior = notLast.mul(notFirst);
  const a = tf.sigmoid(upper.neg()).mul(notLast);
  const b = tf.sigmoid(lower).mul(notFirst);
  const byMean = a.sub(b).mul(inverseScale).neg() as tf.Tensor2D;
  const width = inverseScale.mul(2 * HALF_BIN);
  const byLogScale = upper.mul(a).neg().add(lower.mul(b)).sub(interior.mul(width.div(tf.expm1(width)))) as tf.Tensor2D;
  return { logMass, byMean, byLogScale };
}

/** Terms of one block of mixtureLogProbabilities' rows, [rows, 256, K]: 8 MB each. */
const BLOCK_FLOATS = 2 ** 21;

/** The 255 edges between the bins, (2j + 1)/255 - 1 for j = 0..254, as x: [1, 255, 1] against [N, 1, K]. */
function binEdges(): tf.Tensor3D {
  return tf.range(0, 255, 1, 'float32').mul(2 * HALF_BIN).add(HALF_BIN - 1).reshape([1, 255, 1]) as tf.Tensor3D;
}

/**
 * log P(v) = log sum_k pi_k P_k(v) for all 256 values of each of N mixtures, all components
 * at once: [N, K] -> [N, 256]. Bin v's upper edge is bin v + 1's lower one, so the softplus
 * of each of the 255 edges e (as (e - mu) / s) is taken once and serves both bins, where
 * logBinMass, for any values, takes four a value:
 *   log sigma(e) = e - softplus(e)
 *   bin 0 (from -inf):    log sigma(e_0)
 *   bin v (1..254):       log [sigma(e_v) - sigma(e_v-1)] = log sigma(e_v) - softplus(e_v-1) + log(-expm1(-2/(255 s)))
 *   bin 255 (to +inf):    log [1 - sigma(e_254)] = -softplus(e_254)
 */
function allBins(logWeights: tf.Tensor2D, means: tf.Tensor2D, logScales: tf.Tensor2D): tf.Tensor2D {
  return hasMixtureBins() ? mixtureBins(logWeights, means, logScales, HALF_BIN) : allBinsByOps(logWeights, means, logScales);
}

/** allBins by TF.js's ops, on every backend (on WASM our kernel, ../../wasm-heap-mixture.ts, computes the same in one call). */
export function allBinsByOps(logWeights: tf.Tensor2D, means: tf.Tensor2D, logScales: tf.Tensor2D): tf.Tensor2D {
  // mu, 1/s [N, K] -> [N, 1, K] against the edges' [1, 255, 1]
  const inverseScale = logScales.neg().exp().expandDims(1);
  const edges = binEdges().sub(means.expandDims(1)).mul(inverseScale);
  const softplusOfEdges = tf.softplus(edges);
  const logBelow = edges.sub(softplusOfEdges);
  // log(-expm1(b - a)) with b - a = -2/(255 s): the bin's width, [N, 1, K]
  const width = tf.expm1(inverseScale.mul(-2 * HALF_BIN)).neg().log();
  const interior = logBelow.slice([0, 1, 0], [-1, 254, -1]).sub(softplusOfEdges.slice([0, 0, 0], [-1, 254, -1])).add(width);
  const first = logBelow.slice([0, 0, 0], [-1, 1, -1]);
  const last = softplusOfEdges.slice([0, 254, 0], [-1, 1, -1]).neg();
  // [N, 1 + 254 + 1, K]: each component's log mass on each bin
  const perComponent = tf.concat([first, interior, last], 1);
  // log pi_k + log P_k(v), [N, 256, K] -> [N, 256]
  return tf.logSumExp(perComponent.add(logWeights.expandDims(1)), -1) as tf.Tensor2D;
}

/**
 * log P(v) for all 256 values v of each of N mixtures [N, K] -> [N, 256]: what the sampler
 * draws from and the receptive-field view takes gradients of. Computed a block of rows at a
 * time, all K components at once ([rows, 256, K] terms, at most BLOCK_FLOATS of them), and
 * differentiated by hand one component at a time, so no [N, 256, K] tensor is ever kept:
 * for a whole colour image that is 5x the 256 logits of a softmax, and autodiff would keep
 * several of them for its backward pass.
 *   d log P(v) / d theta_k = r_k(v) d log P_k(v) / d theta_k,  r_k(v) = pi_k P_k(v) / P(v)
 *   d log P(v) / d log pi_k = r_k(v)
 * Built component by component, with four softplus a value (logBinMass), the forward pass
 * took 4.0 of the 9.2 s that two of PixelCNN++'s views on MNIST took (the sampler asks for
 * one pixel's rows at every value it draws).
 * Each row's numbers are the same whatever the block (no op mixes rows), so the sampler's
 * ways of drawing, which ask for different numbers of rows, still agree.
 */
export function mixtureLogProbabilities(logWeights: tf.Tensor2D, means: tf.Tensor2D, logScales: tf.Tensor2D): tf.Tensor2D {
  const components = logWeights.shape[1];
  const column = (t: tf.Tensor2D, k: number) => t.slice([0, k], [-1, 1]) as tf.Tensor2D;
  const expand = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [w, m, s, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const rows = w.shape[0];
    const block = Math.max(1, Math.floor(BLOCK_FLOATS / (256 * components)));
    const blocks: tf.Tensor2D[] = [];
    for (let first = 0; first < rows; first += block) {
      const count = Math.min(block, rows - first);
      const part = (t: tf.Tensor2D) => (count === rows ? t : t.slice([first, 0], [count, components]));
      blocks.push(tf.tidy(() => allBins(part(w), part(m), part(s))));
    }
    // no rows (an empty batch): no blocks, and an empty [0, 256]
    const value = blocks.length === 0 ? (tf.zeros([0, 256]) as tf.Tensor2D) : blocks.length === 1 ? blocks[0] : (tf.concat(blocks, 0) as tf.Tensor2D);
    if (blocks.length > 1) tf.dispose(blocks);
    save([w, m, s, value]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sw, sm, ss, out] = saved as tf.Tensor2D[];
      const grads: tf.Tensor2D[][] = [[], [], []];
      for (let k = 0; k < components; k++) {
        const [gw, gm, gs] = tf.tidy(() => {
          const bins = componentBins(column(sm, k), column(ss, k), true);
          // dy(v) r_k(v), r_k(v) = exp(log pi_k + log P_k(v) - log P(v))
          const weighted = dy.mul(bins.logMass.add(column(sw, k)).sub(out).exp());
          return [weighted.sum(1, true), weighted.mul(bins.byMean!).sum(1, true), weighted.mul(bins.byLogScale!).sum(1, true)] as tf.Tensor2D[];
        });
        grads[0].push(gw);
        grads[1].push(gm);
        grads[2].push(gs);
      }
      return grads.map((parts) => {
        const joined = tf.concat(parts, 1);
        tf.dispose(parts);
        return joined;
      });
    };
    return { value, gradFunc };
  });
  return expand(logWeights, means, logScales) as tf.Tensor2D;
}

/** Numbers a pixel's mixtures take from the network: with whole-pixel conditioning, one set of weights for the pixel and C(C-1)/2 coefficients a component; else K weights, means and log-scales per channel. */
export function mixtureParameterCount(channels: number, components: number, wholePixel: boolean): number {
  if (!wholePixel) return channels * 3 * components;
  return components * (1 + 2 * channels + (channels * (channels - 1)) / 2);
}

/**
 * Each channel's mixture given the values before it in the pixel, from the network's
 * parameters [M, P] (M pixels) and the pixels' values [M, C] (int32) -> [M, C, K] each.
 *
 * Conditioning on whole pixels (section 2.2): the network sees only earlier pixels, and
 * one mixture over components k covers the whole pixel, its channels' means linear in the
 * channels before them (the coefficients alpha, beta, gamma = tanh of network outputs):
 *   mu_R = mu_R,k,   mu_G = mu_G,k + alpha_k R,   mu_B = mu_B,k + beta_k R + gamma_k G
 *   p(R, G, B) = sum_k pi_k P_k(R) P_k(G | R) P_k(B | R, G)
 * By Bayes, G's own distribution given R is the same mixture with the weights each
 * component earned on R, pi_k P_k(R) / sum_j pi_j P_j(R) (and B's on R and G), so the
 * chain of conditionals multiplies back to the joint, and the sampler can draw the
 * channels one at a time.
 * Otherwise (channels in order by masks) each channel has a mixture of its own, and what
 * it knows of the pixel's earlier channels came through the network's masked head.
 * centres: x = 2v/255 - 1 of the values, where a gradient must reach the inputs.
 * through: the last channel whose mixture is wanted ([M, through + 1, K] each; a sampler
 * drawing channel c needs none after it).
 */
export function channelMixtures(params: tf.Tensor2D, values: tf.Tensor2D, channels: number, components: number, wholePixel: boolean, centres?: tf.Tensor2D, through = channels - 1): Mixture {
  // past the last channel the slices below would read the next parameters' columns, silently
  if (!Number.isInteger(through) || through < 0 || through >= channels) throw new RangeError(`channelMixtures: through must be a channel, 0 to ${channels - 1}, not ${through}`);
  return tf.tidy(() => {
    const pixels = params.shape[0];
    const K = components;
    if (!wholePixel) {
      // [M, C * 3K] -> [M, C, 3, K] -> three [M, C, 1, K] -> [M, C, K]: per channel, weight logits, means, log-scales
      // (one split, whose gradient is one concatenation, where three slices took three pads and their sum)
      const [weightLogits, means, logScales] = tf.split(params.reshape([pixels, channels, 3, K]), 3, 2).map((part) => (through < channels - 1 ? part.slice([0, 0, 0, 0], [pixels, through + 1, 1, K]) : part).squeeze([2]));
      return { logWeights: tf.logSoftmax(weightLogits), means, logScales: logScales.clipByValue(MIN_LOG_SCALE, MAX_LOG_SCALE) };
    }
    // [M, K + C*K + C*K + C(C-1)/2 * K]: weight logits, means, log-scales, coefficients
    const coefficientCount = (channels * (channels - 1)) / 2;
    const columns = (from: number, count: number) => params.slice([0, from], [pixels, count]);
    const logPi = tf.logSoftmax(columns(0, K));
    // [M, C*K] -> [M, C, K]
    const baseMeans = columns(K, channels * K).reshape([pixels, channels, K]);
    const logScales = columns((1 + channels) * K, (through + 1) * K).reshape([pixels, through + 1, K]).clipByValue(MIN_LOG_SCALE, MAX_LOG_SCALE);
    // [M, C(C-1)/2 * K] -> [M, C(C-1)/2, K]; none on grey images
    const coefficients = coefficientCount > 0 ? tf.tanh(columns((1 + 2 * channels) * K, coefficientCount * K)).reshape([pixels, coefficientCount, K]) : undefined;
    // [M, C] -> [M, C, 1]: each channel's value as x in [-1, 1] (centres: the same, as the network's differentiable inputs)
    const x = centres ? centres.expandDims(-1) : centreOfBin(values);
    const channel = (t: tf.Tensor, c: number) => t.slice([0, c, 0], [pixels, 1, -1]).reshape([pixels, -1]);
    const means: tf.Tensor[] = [];
    const logWeights: tf.Tensor[] = [];
    // log pi_k + sum over earlier channels of log P_k(value): the weights each component has earned so far
    let earned = logPi;
    for (let c = 0; c <= through; c++) {
      // mu_c = mu_c,k + sum_{c' < c} coefficient_{c', c},k x_c' (the paper's alpha for (R, G), beta for (R, B), gamma for (G, B))
      let mean = channel(baseMeans, c);
      for (let earlier = 0; earlier < c; earlier++) {
        const index = earlier + (c * (c - 1)) / 2;
        mean = mean.add(channel(coefficients!, index).mul(channel(x, earlier)));
      }
      means.push(mean);
      logWeights.push(tf.logSoftmax(earned));
      if (c < through) {
        const v = values.slice([0, c], [pixels, 1]).reshape([pixels, 1]);
        earned = earned.add(logBinMass(channel(x, c), mean, channel(logScales, c), v.reshape([pixels])));
      }
    }
    return { logWeights: tf.stack(logWeights, 1), means: tf.stack(means, 1), logScales };
  });
}
