/**
 * PixelCNN++'s loss, the log-probability of each value under its discretized logistic
 * mixture, with its gradient, in one kernel (T. Salimans et al., "PixelCNN++", ICLR 2017,
 * section 2.1, https://arxiv.org/abs/1701.05517; ../models/autoregressive/logistic-mixture.ts,
 * mixtureLogProbability), generated as code (see encoder.ts) into the module of ./kernels.ts
 * and used by ../wasm-heap-mixture.ts.
 *
 * Why: composed of TF.js's ops, the loss and its gradient took about 200 kernel calls a
 * batch part, most on [pixels, K] with a broadcast, which tfjs-backend-wasm takes a number at
 * a time: 24 of a PixelCNN++ step's 300 ms on WASM (MNIST, K = 5).
 *
 * For a value v (x = 2v/255 - 1) and component k, with 1/s = exp(-log s), a = (x - mu + 1/255)/s,
 * b = (x - mu - 1/255)/s and the bin's width in units of s, d = 2/(255 s):
 *   t_k = log pi_k + { -softplus(-a)                                         v = 0 (from -inf)
 *                    { -softplus(b)                                          v = 255 (to +inf)
 *                    { a - softplus(a) - softplus(b) + log(1 - exp(-d))      otherwise
 *   log P(v) = M + log sum_k exp(t_k - M),   M = max_k t_k
 * and, per unit of the loss's gradient, with r_k = exp(t_k - log P(v)), A = sigma(-a) (0 at
 * v = 255) and B = sigma(b) (0 at v = 0):
 *   d/d log pi_k = r_k
 *   d/d mu_k     = r_k (B - A) / s
 *   d/d log s_k  = r_k (b B - a A - [interior] d / expm1(d))
 * 1 - exp(-d) by its series where d < 1/2 (d reaches 7e-6 at log s = 7, where 1 - exp(-d)
 * would keep a few of its digits). The float32 operations of TF.js's composition where it
 * has them (the same exponential and softplus, ./exp-kernels.ts); the logarithms ours.
 *
 * Lanes are four rows (a pixel's channel each): each row's K numbers are read a lane at a
 * time, K rows apart, so any K fills the lanes. Rows come four at a time, the last four
 * taken again where rows is not a multiple of 4 (the same numbers written twice): rows >= 4.
 * log s within [-80, 80], where exp(-log s) and the logarithm's input stay normal numbers
 * (PixelCNN++ clips it to [-7, 7]).
 */
import { FunctionWriter } from './encoder';
import { splatLocal } from './elementwise-kernels';
import { exponentialOf, logOf, softplusOf, softplusScratch, splatConstants } from './exp-kernels';

/** Half a bin, in units of x: bins are 2/255 wide. */
const HALF_BIN = 1 / 255;
/** Below this d, 1 - exp(-d) by its series (eight terms: within 1e-8 of it relatively up to 1/2), above, by exp(-d). */
const SERIES_BELOW = 0.5;
/** Bytes the kernel's scratch takes a component: its four rows' t, d/d mu and d/d log s, a vector each. */
export const mixtureLikelihoodScratchBytes = (components: number) => 48 * components;

/**
 * mixtureLikelihood(logWeights, means, logScales, values, scratch, out, byWeights, byMeans,
 * byLogScales, rows, components): [rows, K] float32 each of log pi, mu and log s; values
 * [rows] int32 in 0..255; scratch of mixtureLikelihoodScratchBytes(K); out [rows] log P(v);
 * the three [rows, K] derivatives of log P(v) (above).
 */
export function mixtureLikelihood(): FunctionWriter {
  const f = new FunctionWriter('mixtureLikelihood', ['logWeights', 'means', 'logScales', 'values', 'scratch', 'out', 'byWeights', 'byMeans', 'byLogScales', 'rows', 'components']);
  const [group, start, stride, k, at, slot, address] = ['group', 'start', 'stride', 'k', 'at', 'slot', 'address'].map((name) => f.local('i32', name));
  const vector = (name: string) => f.local('v128', name);
  const [x, first, last, interior, weight, mean, logScale, inverse, a, b, q, upperTerm, lowerTerm] = ['x', 'first', 'last', 'interior', 'weight', 'mean', 'logScale', 'inverse', 'a', 'b', 'q', 'upperTerm', 'lowerTerm'].map(vector);
  const [sigmaA, sigmaB, d, remaining, series, g, t, top, total, e] = ['sigmaA', 'sigmaB', 'd', 'remaining', 'series', 'g', 't', 'top', 'total', 'e'].map(vector);
  const [mantissa, bias, value, z] = ['mantissa', 'bias', 'value', 'z'].map(vector);
  const c = splatConstants(f);
  const scratch = softplusScratch(f, 'Likelihood');
  const [, u, w] = scratch;
  const exponential = scratch.slice(6);
  const [twoBins, halfBin, seriesBelow, minusInfinity] = [splatLocal(f, 'twoBins', 2 * HALF_BIN), splatLocal(f, 'halfBin', HALF_BIN), splatLocal(f, 'seriesBelow', SERIES_BELOW), splatLocal(f, 'minusInfinity', -Infinity)];
  const inverseCounts = [2, 3, 4, 5, 6, 7, 8].map((n) => splatLocal(f, `inverse${n}`, 1 / n));
  const lastValue = vector('lastValue');
  f.i32(255).simd('i32x4.splat').set(lastValue);
  f.i32(0x007fffff).simd('i32x4.splat').set(mantissa);
  f.i32(127).simd('i32x4.splat').set(bias);
  f.get('components').i32(2).op('i32.shl').set(stride);

  /** The four rows' numbers of component k of `pointer` ([rows, K]) into `local`: lane l from row start + l. */
  const gather = (pointer: string, local: number) => {
    f.get(pointer).get(at).op('i32.add').tee(address).zeroVector().loadLane(32, 0).set(local);
    for (let lane = 1; lane < 4; lane++) f.get(address).get(stride).op('i32.add').tee(address).get(local).loadLane(32, lane).set(local);
  };
  /** The vector `local`'s lanes to component k of `pointer`'s four rows. */
  const scatter = (pointer: string, local: number) => {
    f.get(pointer).get(at).op('i32.add').set(address);
    for (let lane = 0; lane < 4; lane++) {
      if (lane > 0) f.get(address).get(stride).op('i32.add').set(address);
      f.get(address).get(local).extractLane(lane).f32Store();
    }
  };
  /** A loop over the components, k from 0, `at` the byte offset of component k in the group's first row, `slot` its scratch. */
  const eachComponent = (body: () => void) => {
    f.i32(0).set(k);
    f.get(start).get(stride).op('i32.mul').set(at);
    f.get('scratch').set(slot);
    f.whileLoop(() => f.get(k).get('components').op('i32.lt_u'), () => {
      body();
      f.get(at).i32(4).op('i32.add').set(at);
      f.get(slot).i32(48).op('i32.add').set(slot);
      f.get(k).i32(1).op('i32.add').set(k);
    });
  };
  /** exp(-v) of the vector `local` onto the stack (z is overwritten). */
  const expOfMinus = (local: number) => {
    f.get(local).get(c.sign).simd('v128.xor').set(z);
    exponentialOf(f, c, z, exponential);
  };

  f.i32(0).set(group);
  f.whileLoop(() => f.get(group).get('rows').op('i32.lt_u'), () => {
    // the group's first row, the last four rows where fewer than four are left
    f.get('rows').i32(4).op('i32.sub').tee(start).get(group).get(start).get(group).op('i32.lt_u').op('select').set(start);
    // x = 2v/255 - 1 (TF.js's centreOfBin: a product and a difference in float32); the edge bins' masks
    f.get('values').get(start).i32(2).op('i32.shl').op('i32.add').memory('v128.load').tee(value).zeroVector().simd('i32x4.eq').set(first);
    f.get(value).get(lastValue).simd('i32x4.eq').set(last);
    f.get(first).get(last).simd('v128.or').simd('v128.not').set(interior);
    f.get(value).simd('f32x4.convert_i32x4_s').get(twoBins).simd('f32x4.mul').get(c.one).simd('f32x4.sub').set(x);
    f.get(minusInfinity).set(top);
    eachComponent(() => {
      gather('logWeights', weight);
      gather('means', mean);
      gather('logScales', logScale);
      // 1/s = exp(-log s); a = ((x - mu) + 1/255) / s, b = ((x - mu) - 1/255) / s, as TF.js's ops
      expOfMinus(logScale);
      f.set(inverse);
      f.get(x).get(mean).simd('f32x4.sub').tee(z).get(halfBin).simd('f32x4.add').get(inverse).simd('f32x4.mul').set(a);
      f.get(z).get(halfBin).simd('f32x4.sub').get(inverse).simd('f32x4.mul').set(b);
      // softplus(-a) at v = 0, else softplus(a); then sigma(-a) = (a > 0 ? u : 1) / w, from softplus's u = exp(-|a|) and w = 1 + u
      f.get(a).get(c.sign).simd('v128.xor').get(a).get(first).simd('v128.bitselect').set(q);
      softplusOf(f, c, q, scratch);
      f.set(upperTerm);
      f.get(u).get(c.one).get(a).zeroVector().simd('f32x4.gt').simd('v128.bitselect').get(w).simd('f32x4.div').get(last).simd('v128.andnot').set(sigmaA);
      // softplus(b), and sigma(b) = (b > 0 ? 1 : u) / w
      softplusOf(f, c, b, scratch);
      f.set(lowerTerm);
      f.get(c.one).get(u).get(b).zeroVector().simd('f32x4.gt').simd('v128.bitselect').get(w).simd('f32x4.div').get(first).simd('v128.andnot').set(sigmaB);
      // d = 2/(255 s); g = 1 - exp(-d): d (1 - d/2 (1 - d/3 (... (1 - d/8)))) below 1/2, else 1 - exp(-d)
      f.get(inverse).get(twoBins).simd('f32x4.mul').set(d);
      expOfMinus(d);
      f.set(e);
      f.get(c.one).set(remaining);
      for (const inverseCount of [...inverseCounts].reverse()) {
        f.get(c.one).get(d).get(inverseCount).simd('f32x4.mul').get(remaining).simd('f32x4.mul').simd('f32x4.sub').set(remaining);
      }
      f.get(d).get(remaining).simd('f32x4.mul').set(series);
      f.get(series).get(c.one).get(e).simd('f32x4.sub').get(d).get(seriesBelow).simd('f32x4.lt').simd('v128.bitselect').set(g);
      // t: the interior's ((a - softplus(a)) - softplus(b)) + log g, or an edge bin's; plus log pi
      f.get(a).get(upperTerm).simd('f32x4.sub').get(lowerTerm).simd('f32x4.sub');
      logOf(f, c, g, scratch, mantissa, bias);
      f.simd('f32x4.add');
      f.get(upperTerm).get(c.sign).simd('v128.xor').get(lowerTerm).get(c.sign).simd('v128.xor').get(first).simd('v128.bitselect');
      f.get(interior).simd('v128.bitselect').get(weight).simd('f32x4.add').tee(t);
      f.get(slot).get(t).memory('v128.store');
      f.get(top).simd('f32x4.max').set(top);
      // d/d mu = (B - A) / s; d/d log s = b B - a A - [interior] d exp(-d) / g (d / expm1(d)), each per unit of r
      f.get(slot).get(sigmaB).get(sigmaA).simd('f32x4.sub').get(inverse).simd('f32x4.mul').memory('v128.store', 16);
      f.get(slot).get(b).get(sigmaB).simd('f32x4.mul').get(a).get(sigmaA).simd('f32x4.mul').simd('f32x4.sub');
      f.get(d).get(e).simd('f32x4.mul').get(g).simd('f32x4.div').get(interior).simd('v128.and').simd('f32x4.sub').memory('v128.store', 32);
    });
    // log P = M + log sum_k exp(t_k - M); each exp(t_k - M) kept in t_k's place
    f.zeroVector().set(total);
    eachComponent(() => {
      f.get(slot).memory('v128.load').get(top).simd('f32x4.sub').set(z);
      exponentialOf(f, c, z, exponential);
      f.set(e);
      f.get(slot).get(e).memory('v128.store');
      f.get(total).get(e).simd('f32x4.add').set(total);
    });
    f.get('out').get(start).i32(2).op('i32.shl').op('i32.add').get(top);
    logOf(f, c, total, scratch, mantissa, bias);
    f.simd('f32x4.add').memory('v128.store');
    // r_k = exp(t_k - M) / sum, and the derivatives
    eachComponent(() => {
      f.get(slot).memory('v128.load').get(total).simd('f32x4.div').set(e);
      scatter('byWeights', e);
      f.get(slot).memory('v128.load', 16).get(e).simd('f32x4.mul').set(z);
      scatter('byMeans', z);
      f.get(slot).memory('v128.load', 32).get(e).simd('f32x4.mul').set(z);
      scatter('byLogScales', z);
    });
    f.get(group).i32(4).op('i32.add').set(group);
  });
  return f;
}

/**
 * mixtureLikelihoodGradient(dy, byWeights, byMeans, byLogScales, outWeights, outMeans,
 * outLogScales, rows, components): each [rows, K] derivative times its row's dy ([rows]).
 */
export function mixtureLikelihoodGradient(): FunctionWriter {
  const names = ['byWeights', 'byMeans', 'byLogScales', 'outWeights', 'outMeans', 'outLogScales'];
  const f = new FunctionWriter('mixtureLikelihoodGradient', ['dy', ...names, 'rows', 'components']);
  const k = f.local('i32', 'k');
  const gradient = f.local('f32', 'gradient');
  f.whileLoop(() => f.get('rows'), () => {
    f.get('dy').f32Load().set(gradient);
    f.i32(0).set(k);
    f.whileLoop(() => f.get(k).get('components').op('i32.lt_u'), () => {
      for (const [from, to] of [[0, 3], [1, 4], [2, 5]]) f.get(names[to]).get(names[from]).f32Load().get(gradient).op('f32.mul').f32Store();
      names.forEach((pointer) => f.get(pointer).i32(4).op('i32.add').set(pointer));
      f.get(k).i32(1).op('i32.add').set(k);
    });
    f.get('dy').i32(4).op('i32.add').set('dy');
    f.get('rows').i32(1).op('i32.sub').set('rows');
  });
  return f;
}
