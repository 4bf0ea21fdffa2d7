/**
 * One Adam update of a variable in one pass (Kingma and Ba 2015, "Adam: A Method for
 * Stochastic Optimization", algorithm 1, https://arxiv.org/abs/1412.6980), generated as code
 * (see encoder.ts) into the module of ./kernels.ts and used by ../wasm-heap-adam.ts:
 *
 *   m' = m beta1 + g (1 - beta1)
 *   v' = v beta2 + g^2 (1 - beta2)
 *   x' = (m' / (1 - beta1^t)) / (sqrt(v' / (1 - beta2^t)) + epsilon) (-lr) + x
 *
 * with TF.js's AdamOptimizer's float32 operations in its order (tfjs-core's
 * adam_optimizer.ts), each one IEEE-rounded, so the same numbers: where TF.js runs fourteen
 * kernels per variable, each a call with its bookkeeping (PixelCNN++'s 116 variables made
 * 1,600 calls a step), this is one.
 */
import { FunctionWriter } from './encoder';

/** The scalars passed as float32 bits, in the order the kernel takes them after its count. */
export const ADAM_SCALARS = ['beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'epsilon', 'negativeRate'] as const;
/** The scalars read from the heap (float32 tensors of one number, as TF.js's Adam computes them), at addresses after g's. */
const ADAM_SCALARS_ON_HEAP = ['oneMinusAccBeta1', 'oneMinusAccBeta2'] as const;

/**
 * adamUpdate(x, m, v, g, oneMinusAccBeta1, oneMinusAccBeta2, xOut, mOut, vOut, count,
 * ...ADAM_SCALARS as bits), addresses in bytes: four lanes at a time, then the tail one
 * number at a time as lane 0 of a vector (the same operations).
 */
export function adamUpdate(): FunctionWriter {
  const pointers = ['x', 'm', 'v', 'g', ...ADAM_SCALARS_ON_HEAP, 'xOut', 'mOut', 'vOut'];
  const f = new FunctionWriter('adamUpdate', [...pointers, 'count', ...ADAM_SCALARS.map((name) => `${name}Bits`)]);
  const s = {} as Record<(typeof ADAM_SCALARS)[number] | (typeof ADAM_SCALARS_ON_HEAP)[number], number>;
  for (const name of ADAM_SCALARS) {
    s[name] = f.local('v128', `${name}Vector`);
    f.get(`${name}Bits`).op('f32.reinterpret_i32').simd('f32x4.splat').set(s[name]);
  }
  for (const name of ADAM_SCALARS_ON_HEAP) {
    s[name] = f.local('v128', `${name}Vector`);
    f.get(name).memory('v128.load32_splat').set(s[name]);
  }
  const [x, m, v, g, mNew, vNew] = ['xVector', 'mVector', 'vVector', 'gVector', 'mNew', 'vNew'].map((name) => f.local('v128', name));
  const update = () => {
    // m' = m beta1 + g (1 - beta1); v' = v beta2 + (g g) (1 - beta2)
    f.get(m).get(s.beta1).simd('f32x4.mul').get(g).get(s.oneMinusBeta1).simd('f32x4.mul').simd('f32x4.add').set(mNew);
    f.get(v).get(s.beta2).simd('f32x4.mul').get(g).get(g).simd('f32x4.mul').get(s.oneMinusBeta2).simd('f32x4.mul').simd('f32x4.add').set(vNew);
    // x' = ((m' / (1 - beta1^t)) / (sqrt(v' / (1 - beta2^t)) + epsilon)) (-lr) + x, left on the stack
    f.get(mNew).get(s.oneMinusAccBeta1).simd('f32x4.div');
    f.get(vNew).get(s.oneMinusAccBeta2).simd('f32x4.div').simd('f32x4.sqrt').get(s.epsilon).simd('f32x4.add');
    f.simd('f32x4.div').get(s.negativeRate).simd('f32x4.mul').get(x).simd('f32x4.add');
  };
  const advance = (bytes: number) => ['x', 'm', 'v', 'g', 'xOut', 'mOut', 'vOut'].forEach((pointer) => f.get(pointer).i32(bytes).op('i32.add').set(pointer));
  const inputs: [string, number][] = [['x', x], ['m', m], ['v', v], ['g', g]];
  f.whileLoop(() => f.get('count').i32(4).op('i32.ge_u'), () => {
    inputs.forEach(([pointer, vector]) => f.get(pointer).memory('v128.load').set(vector));
    f.get('xOut');
    update();
    f.memory('v128.store');
    f.get('mOut').get(mNew).memory('v128.store');
    f.get('vOut').get(vNew).memory('v128.store');
    advance(16);
    f.get('count').i32(4).op('i32.sub').set('count');
  });
  f.whileLoop(() => f.get('count'), () => {
    inputs.forEach(([pointer, vector]) => f.get(pointer).f32Load().simd('f32x4.splat').set(vector));
    f.get('xOut');
    update();
    f.extractLane(0).f32Store();
    f.get('mOut').get(mNew).extractLane(0).f32Store();
    f.get('vOut').get(vNew).extractLane(0).f32Store();
    advance(4);
    f.get('count').i32(1).op('i32.sub').set('count');
  });
  return f;
}
