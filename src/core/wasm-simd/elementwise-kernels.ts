/**
 * Element-wise kernels, generated as code (see encoder.ts) into the module of ./kernels.ts,
 * used by ../wasm-heap-activations.ts:
 * - swishGradient: Swish's gradient (../models/swish.ts) in one pass where TF.js's ops take four;
 * - reluGradient: ReLU's, dy * step(x), in one pass where TF.js's take two (a step, a product);
 * - langevinMove: a Langevin step's move, in one pass where TF.js's take five (../wasm-heap-langevin.ts).
 */
import { FunctionWriter } from './encoder';

/**
 * out[i] = dy[i] (s[i] + y[i] (1 - s[i])) for `count` floats (addresses in bytes): the float32
 * operations of swish.ts's composition, in its order (no fused multiply-add), so the same numbers.
 */
export function swishGradient(): FunctionWriter {
  const f = new FunctionWriter('swishGradient', ['dy', 's', 'y', 'out', 'count']);
  const [one, s] = [f.local('v128', 'ones'), f.local('v128', 'sVector')];
  const sFloat = f.local('f32', 'sFloat');
  const advance = (bytes: number) => ['dy', 's', 'y', 'out'].forEach((pointer) => f.get(pointer).i32(bytes).op('i32.add').set(pointer));
  f.f32(1).simd('f32x4.splat').set(one);
  f.whileLoop(() => f.get('count').i32(4).op('i32.ge_u'), () => {
    // out, dy, s, y (1 - s) on the stack; then s + y (1 - s); then dy (...)
    f.get('out').get('dy').memory('v128.load').get('s').memory('v128.load').tee(s);
    f.get('y').memory('v128.load').get(one).get(s).simd('f32x4.sub').simd('f32x4.mul');
    f.simd('f32x4.add').simd('f32x4.mul').memory('v128.store');
    advance(16);
    f.get('count').i32(4).op('i32.sub').set('count');
  });
  f.whileLoop(() => f.get('count'), () => {
    f.get('out').get('dy').f32Load().get('s').f32Load().tee(sFloat);
    f.get('y').f32Load().f32(1).get(sFloat).op('f32.sub').op('f32.mul');
    f.op('f32.add').op('f32.mul').f32Store();
    advance(4);
    f.get('count').i32(1).op('i32.sub').set('count');
  });
  return f;
}

/**
 * out[i] = dy[i] * step(x[i]) for `count` floats (addresses in bytes), with TF.js's step: 1
 * where x > 0, NaN where x is NaN, else 0. TF.js's mul(dy, step(x)) as one product, so the
 * same numbers (an infinite or NaN dy times 0 is NaN, as there).
 */
export function reluGradient(): FunctionWriter {
  const f = new FunctionWriter('reluGradient', ['dy', 'x', 'out', 'count']);
  const [one, x] = [f.local('v128', 'ones'), f.local('v128', 'xVector')];
  const xFloat = f.local('f32', 'xFloat');
  const advance = (bytes: number) => ['dy', 'x', 'out'].forEach((pointer) => f.get(pointer).i32(bytes).op('i32.add').set(pointer));
  f.f32(1).simd('f32x4.splat').set(one);
  f.whileLoop(() => f.get('count').i32(4).op('i32.ge_u'), () => {
    f.get('out').get('dy').memory('v128.load');
    // step: the comparison's all-ones lanes pick 1.0's bits, and a NaN's own lanes (x != x) its bits
    f.get('x').memory('v128.load').tee(x).zeroVector().simd('f32x4.gt').get(one).simd('v128.and');
    f.get(x).get(x).simd('f32x4.ne').get(x).simd('v128.and').simd('v128.or');
    f.simd('f32x4.mul').memory('v128.store');
    advance(16);
    f.get('count').i32(4).op('i32.sub').set('count');
  });
  f.whileLoop(() => f.get('count'), () => {
    f.get('out').get('dy').f32Load();
    // x > 0 ? 1 : (x != x ? x : 0)
    f.f32(1).get('x').f32Load().tee(xFloat).f32(0).get(xFloat).get(xFloat).op('f32.ne').op('select');
    f.get(xFloat).f32(0).op('f32.gt').op('select');
    f.op('f32.mul').f32Store();
    advance(4);
    f.get('count').i32(1).op('i32.sub').set('count');
  });
  return f;
}

/**
 * out = min(max(x - step * min(max(g, -clip), clip) + noise, low), high) for `count` floats
 * (addresses in bytes; the four constants as float32 bits, clip, low and high infinite for
 * none): TF.js's clip, product, difference, sum and clip, each rounded to float32 in that
 * order, so the same numbers.
 */
export function langevinMove(): FunctionWriter {
  const f = new FunctionWriter('langevinMove', ['x', 'g', 'noise', 'out', 'count', 'stepBits', 'clipBits', 'lowBits', 'highBits']);
  const names = ['step', 'clip', 'low', 'high'] as const;
  const scalars = names.map((name) => f.local('f32', `${name}Float`));
  const vectors = names.map((name) => f.local('v128', `${name}Vector`));
  const [step, clip, low, high] = scalars;
  const [stepV, clipV, lowV, highV] = vectors;
  names.forEach((name, i) => {
    f.get(`${name}Bits`).op('f32.reinterpret_i32').tee(scalars[i]).simd('f32x4.splat').set(vectors[i]);
  });
  const advance = (bytes: number) => ['x', 'g', 'noise', 'out'].forEach((pointer) => f.get(pointer).i32(bytes).op('i32.add').set(pointer));
  f.whileLoop(() => f.get('count').i32(4).op('i32.ge_u'), () => {
    f.get('out');
    // x - step * clip(g), + noise, then into [low, high]
    f.get('x').memory('v128.load');
    f.get('g').memory('v128.load').zeroVector().get(clipV).simd('f32x4.sub').simd('f32x4.max').get(clipV).simd('f32x4.min');
    f.get(stepV).simd('f32x4.mul').simd('f32x4.sub');
    f.get('noise').memory('v128.load').simd('f32x4.add');
    f.get(lowV).simd('f32x4.max').get(highV).simd('f32x4.min');
    f.memory('v128.store');
    advance(16);
    f.get('count').i32(4).op('i32.sub').set('count');
  });
  f.whileLoop(() => f.get('count'), () => {
    f.get('out');
    f.get('x').f32Load();
    f.get('g').f32Load().f32(0).get(clip).op('f32.sub').op('f32.max').get(clip).op('f32.min');
    f.get(step).op('f32.mul').op('f32.sub');
    f.get('noise').f32Load().op('f32.add');
    f.get(low).op('f32.max').get(high).op('f32.min');
    f.f32Store();
    advance(4);
    f.get('count').i32(1).op('i32.sub').set('count');
  });
  return f;
}
