/**
 * What an autoregressive image model's outputs mean: a distribution for each value of each
 * pixel, given everything before it. Two kinds, chosen by how the data is read:
 * - 8-bit values: a 256-way softmax (van den Oord et al. 2016, "Pixel Recurrent Neural
 *   Networks", section 5.3, https://arxiv.org/abs/1601.06759): K = 256 logits per value;
 * - binary values: a Bernoulli, one logit per value (K = 1).
 * Both give exact log-likelihoods, summed over every value of an image: nats per image.
 */
import * as tf from '@tensorflow/tfjs';
import { hasOneHotDifference, hasSoftmaxRows, ONE_HOT_DIFFERENCE, SOFTMAX_ROWS } from '../../wasm-heap-rows';
import { PRODUCT_SOFTMAX, PRODUCT_SOFTMAX_GRADIENTS, runsProductSoftmax } from '../../wasm-simd/register';

/** Logits per value: 256 for 8-bit data, 1 for binary data. */
export type Categories = 256 | 1;

/**
 * -log p(x) per image, in nats: logits [B, H, W, C, K] and the values x [B, H, W, C]
 * (integers 0..255 as int32 for K = 256; 0/1 floats for K = 1) -> [B].
 */
export function negLogLikelihood(logits: tf.Tensor5D, x: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const [batch, height, width, channels, categories] = logits.shape;
    if (categories === 1) {
      // [B, H, W, C, 1] -> [B, H, W, C]
      const l = logits.squeeze([4]);
      // -log Bernoulli(x; sigmoid(l)) = softplus(l) - x * l, stable for large |l|
      return tf.softplus(l).sub(x.mul(l)).sum([1, 2, 3]) as tf.Tensor1D;
    }
    const values = batch * height * width * channels;
    // [B, H, W, C, K] -> [N, K], and [B, H, W, C] -> [N]: one row per value
    const perValue = softmaxCrossEntropy(logits.reshape([values, categories]) as tf.Tensor2D, x.reshape([values]).toInt() as tf.Tensor1D);
    // [N] -> [B, H*W*C] -> [B]
    return perValue.reshape([batch, height * width * channels]).sum(1) as tf.Tensor1D;
  });
}

/**
 * -log softmax(l)[v] for each row of logits [N, K] and its value v [N] (int32) -> [N], with
 * the gradient written out, d/dl = softmax(l) - onehot(v). TF.js's own composition
 * (logSoftmax, a one-hot product, their gradients) takes 3x as long on WASM: on 8-bit data
 * these N x 256 numbers are most of a training step's memory traffic.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, values: tf.Tensor1D): tf.Tensor1D {
  const [rows, categories] = logits.shape;
  const crossEntropy = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [l, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const v = values.toInt();
    const [p, value] = hasSoftmaxRows(categories) ? fusedCrossEntropy(l, v) : composedCrossEntropy(l, v);
    // saved copies outlive the caller's tidy, which the backward pass runs after
    save([p, v]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      // d/dl = (softmax(l) - onehot(v)) * dy: in one pass on WASM (src/core/wasm-heap-rows.ts)
      if (hasOneHotDifference()) return tf.engine().runKernel(ONE_HOT_DIFFERENCE, { p: saved[0], values: saved[1], gradients: dy }) as tf.Tensor;
      // an int32 one-hot, then cast: tfjs-backend-wasm 4.22's OneHot with dtype float32 writes the integers' bits (1 reads as 1.4e-45)
      return saved[0].sub(tf.oneHot(saved[1] as tf.Tensor1D, categories).toFloat()).mul(dy.reshape([rows, 1]));
    };
    return { value, gradFunc };
  });
  return crossEntropy(logits) as tf.Tensor1D;
}

/**
 * -log softmax(l)[v] for the logits of a linear layer, l = x w + b: x [N, F], w [F, G*K],
 * b [G*K] and the values [N*G] (int32), G groups (colours) of K logits a row of x -> [N*G],
 * row n*G + g reading logits [g*K, (g+1)*K) of row n.
 *
 * On WASM the product, the softmax and the gradients run in one pass of chunks
 * (src/core/wasm-simd/product-softmax.ts), with the same numbers as the ops composed here:
 * the [N, G*K] logits and their gradient, most of a PixelCNN step's memory traffic on 8-bit
 * data, are never written out whole.
 */
export function productSoftmaxCrossEntropy(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, values: tf.Tensor1D): tf.Tensor1D {
  const [rows, features] = x.shape;
  const groups = values.shape[0] / rows;
  const categories = w.shape[1] / groups;
  if (!runsProductSoftmax({ features, categories })) {
    // [N, G*K] -> [N*G, K]
    return tf.tidy(() => softmaxCrossEntropy(tf.fused.matMul({ a: x, b: w, bias: b }).reshape([rows * groups, categories]) as tf.Tensor2D, values));
  }
  const crossEntropy = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, ws, bs, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const v = values.toInt();
    const [p, offsets, sums] = tf.engine().runKernel(PRODUCT_SOFTMAX, { x: xs, w: ws, b: bs, values: v }) as tf.Tensor[];
    // -log p[v] = (m - l_v) + log sum_k exp(l_k - m)
    const value = offsets.add(sums.log());
    tf.dispose([offsets, sums]);
    save([xs, ws, p, v]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xSaved, wSaved, pSaved, vSaved] = saved;
      return tf.engine().runKernel(PRODUCT_SOFTMAX_GRADIENTS, { x: xSaved, w: wSaved, p: pSaved, values: vSaved, dy }) as tf.Tensor[];
    };
    return { value, gradFunc };
  });
  return crossEntropy(x, w, b) as tf.Tensor1D;
}

/**
 * softmax(l) [N, K] and -log softmax(l)[v] [N] from TF.js's ops: with m = max_k l_k,
 * log sum_k exp(l_k) = m - log max_k softmax(l)_k (that maximum is at least 1/K, so its log
 * never underflows), less l_v.
 */
function composedCrossEntropy(l: tf.Tensor, v: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const [rows, categories] = l.shape;
  const p = tf.softmax(l);
  // flat positions of each row's value, for gather (whose own gradient WASM lacks; it needs none here)
  const picked = tf.range(0, rows, 1, 'int32').mul(tf.scalar(categories, 'int32')).add(v);
  const chosen = tf.gather(l.reshape([-1]), picked);
  return [p, l.max(1).sub(p.max(1).log()).sub(chosen)];
}

/**
 * The same in one pass of our WebAssembly (src/core/wasm-heap-rows.ts): p, and per row
 * m - l_v and s = sum_k exp(l_k - m), so -log softmax(l)[v] = (m - l_v) + log s.
 */
function fusedCrossEntropy(l: tf.Tensor, v: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const [p, offsets, sums] = tf.engine().runKernel(SOFTMAX_ROWS, { logits: l, values: v }) as tf.Tensor[];
  const value = offsets.add(sums.log());
  tf.dispose([offsets, sums]);
  return [p, value];
}

/**
 * Draws one value per row of logits [n, K], given uniform numbers u [n] in [0, 1): the
 * inverse of the cumulative distribution at u, so the same u always gives the same value.
 * temperature T divides the logits (T < 1 sharpens, T > 1 flattens); T = 0 takes the most
 * likely value (argmax) and ignores u. Returns the values [n] as int32 (0..255, or 0/1).
 */
export function drawValues(logits: tf.Tensor2D, u: tf.Tensor1D, temperature: number): tf.Tensor1D {
  return tf.tidy(() => {
    const categories = logits.shape[1];
    if (categories === 1) {
      const l = logits.reshape([-1]);
      // argmax of a Bernoulli: 1 where p > 1/2, i.e. l > 0
      if (temperature === 0) return l.greater(0).toInt() as tf.Tensor1D;
      // x = [u < sigmoid(l / T)]
      return u.less(tf.sigmoid(l.div(temperature))).toInt() as tf.Tensor1D;
    }
    if (temperature === 0) return logits.argMax(1).toInt() as tf.Tensor1D;
    // x = #{v : F(v) <= u}, F the cumulative sum of softmax(l / T): the first v with F(v) > u; clipped, as F(255) may round below 1
    const cumulative = tf.cumsum(tf.softmax(logits.div(temperature)), 1);
    // a binary search per row (F never decreases); a broadcast comparison is 100x slower on WASM
    return tf.searchSorted(cumulative, u.reshape([-1, 1]), 'right').reshape([-1]).minimum(categories - 1).toInt() as tf.Tensor1D;
  });
}
