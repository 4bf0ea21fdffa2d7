/**
 * PixelCNN++'s discretized logistic mixture over all 256 values in one kernel (T. Salimans et
 * al., "PixelCNN++", ICLR 2017, section 2.1, https://arxiv.org/abs/1701.05517;
 * ../models/autoregressive/logistic-mixture.ts, allBins), generated as code (see encoder.ts)
 * into the module of ./kernels.ts and used by ../wasm-heap-mixture.ts. The sampler asks for
 * one pixel's distribution at every value it draws: composed of TF.js's ops, about thirty
 * kernels a call, most of them broadcasts, which tfjs-backend-wasm takes a number at a time.
 *
 * For each row (a pixel's channel) and component k, with e_j = (edge_j - mu_k) / s_k the 255
 * edges between the bins (edge_j = (2j + 1)/255 - 1):
 *   log sigma(e_j) = e_j - softplus(e_j)
 *   t_k(0)   = log pi_k + log sigma(e_0)                                 (from -inf)
 *   t_k(v)   = log pi_k + log(-expm1(-2/(255 s_k))) + log sigma(e_v) - softplus(e_v-1)
 *   t_k(255) = log pi_k - softplus(e_254)                                (to +inf)
 * then log P(v) = M + log sum_k exp(t_k(v) - M), M = max_k t_k(v). The caller gives mu, 1/s,
 * log pi and log pi + log(-expm1(-2/(255 s))) per row and component (TF.js's ops on [N, K]).
 */
import { FunctionWriter } from './encoder';
import { exponentialOf, logOf, softplusOf, softplusScratch, splatConstants } from './exp-kernels';

/** Bytes of a row of 256 floats. */
const ROW = 1024;

/** Floats of scratch the kernel needs for K components: a vector before the softplus row (read at v - 1), the softplus and log-sigmoid rows, and K rows of terms. */
export const mixtureScratchFloats = (components: number) => 4 + 2 * 256 + components * 256;

/**
 * mixtureBins(means, inverses, edgeWeights, binWeights, edges, scratch, out, rows, components):
 * [rows, K] each of mu, 1/s, log pi and log pi + log(-expm1(-2/(255 s))); `edges` the 255
 * edges and one more float (any finite number, its bin unused); `scratch` 16-byte aligned, of
 * mixtureScratchFloats(K) floats; out [rows, 256].
 */
export function mixtureBins(): FunctionWriter {
  const f = new FunctionWriter('mixtureBins', ['means', 'inverses', 'edgeWeights', 'binWeights', 'edges', 'scratch', 'out', 'rows', 'components']);
  const [j, k, softplusRow, logSigmoidRow, terms, term] = ['j', 'k', 'softplusRow', 'logSigmoidRow', 'terms', 'term'].map((name) => f.local('i32', name));
  const [mean, inverse, weight, e, total, top, mantissa, bias] = ['mean', 'inverse', 'weight', 'e', 'total', 'top', 'mantissa', 'bias'].map((name) => f.local('v128', name));
  const c = splatConstants(f);
  const scratch = softplusScratch(f, 'Mixture');
  f.i32(0x007fffff).simd('i32x4.splat').set(mantissa);
  f.i32(127).simd('i32x4.splat').set(bias);
  f.get('scratch').i32(16).op('i32.add').tee(softplusRow).i32(ROW).op('i32.add').tee(logSigmoidRow).i32(ROW).op('i32.add').set(terms);
  /** A loop over the row's 64 vectors, j the byte offset. */
  const eachVector = (body: () => void) => {
    f.i32(0).set(j);
    f.whileLoop(() => f.get(j).i32(ROW).op('i32.lt_u'), () => {
      body();
      f.get(j).i32(16).op('i32.add').set(j);
    });
  };
  /** The float at `pointer` + 4 k, splatted into `local`. */
  const splatParameter = (pointer: string, local: number) => f.get(pointer).get(k).i32(2).op('i32.shl').op('i32.add').f32Load().simd('f32x4.splat').set(local);
  f.whileLoop(() => f.get('rows'), () => {
    f.i32(0).set(k);
    f.get(terms).set(term);
    f.whileLoop(() => f.get(k).get('components').op('i32.lt_u'), () => {
      splatParameter('means', mean);
      splatParameter('inverses', inverse);
      // softplus(e_j) and log sigma(e_j) = e_j - softplus(e_j)
      eachVector(() => {
        f.get('edges').get(j).op('i32.add').memory('v128.load').get(mean).simd('f32x4.sub').get(inverse).simd('f32x4.mul').set(e);
        f.get(softplusRow).get(j).op('i32.add');
        softplusOf(f, c, e, scratch);
        f.tee(total).memory('v128.store');
        f.get(logSigmoidRow).get(j).op('i32.add').get(e).get(total).simd('f32x4.sub').memory('v128.store');
      });
      // interior bins: log pi + width + log sigma(e_v) - softplus(e_v-1) (bins 0 and 255 rewritten below)
      splatParameter('binWeights', weight);
      eachVector(() => {
        f.get(term).get(j).op('i32.add');
        f.get(logSigmoidRow).get(j).op('i32.add').memory('v128.load');
        f.get(softplusRow).get(j).op('i32.add').i32(4).op('i32.sub').memory('v128.load').simd('f32x4.sub');
        f.get(weight).simd('f32x4.add').memory('v128.store');
      });
      // bin 0: log pi + log sigma(e_0); bin 255: log pi - softplus(e_254)
      const edgeWeight = () => f.get('edgeWeights').get(k).i32(2).op('i32.shl').op('i32.add').f32Load();
      f.get(term).get(logSigmoidRow).f32Load();
      edgeWeight();
      f.op('f32.add').f32Store();
      f.get(term);
      edgeWeight();
      f.get(softplusRow).f32Load(4 * 254).op('f32.sub').f32Store(4 * 255);
      f.get(term).i32(ROW).op('i32.add').set(term);
      f.get(k).i32(1).op('i32.add').set(k);
    });
    // log P(v) = M + log sum_k exp(t_k(v) - M)
    eachVector(() => {
      f.get(terms).get(j).op('i32.add').tee(term).memory('v128.load').set(top);
      f.i32(1).set(k);
      f.whileLoop(() => f.get(k).get('components').op('i32.lt_u'), () => {
        f.get(term).i32(ROW).op('i32.add').tee(term).memory('v128.load').get(top).simd('f32x4.pmax').set(top);
        f.get(k).i32(1).op('i32.add').set(k);
      });
      f.zeroVector().set(total);
      f.i32(0).set(k);
      f.get(terms).get(j).op('i32.add').set(term);
      f.whileLoop(() => f.get(k).get('components').op('i32.lt_u'), () => {
        f.get(term).memory('v128.load').get(top).simd('f32x4.sub').set(e);
        exponentialOf(f, c, e, scratch.slice(6));
        f.get(total).simd('f32x4.add').set(total);
        f.get(term).i32(ROW).op('i32.add').set(term);
        f.get(k).i32(1).op('i32.add').set(k);
      });
      f.get('out').get(j).op('i32.add').get(top);
      logOf(f, c, total, scratch, mantissa, bias);
      f.simd('f32x4.add').memory('v128.store');
    });
    for (const pointer of ['means', 'inverses', 'edgeWeights', 'binWeights']) f.get(pointer).get('components').i32(2).op('i32.shl').op('i32.add').set(pointer);
    f.get('out').i32(ROW).op('i32.add').set('out');
    f.get('rows').i32(1).op('i32.sub').set('rows');
  });
  return f;
}
