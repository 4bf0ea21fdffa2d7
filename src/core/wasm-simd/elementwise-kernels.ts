/**
 * Element-wise kernels, generated as code (see encoder.ts) into the module of ./kernels.ts,
 * used by ../wasm-heap-activations.ts and ../wasm-heap-langevin.ts:
 * - swishGradient: Swish's gradient (../models/swish.ts) in one pass where TF.js's ops take four;
 * - reluGradient: ReLU's, dy * step(x), in one pass where TF.js's take two (a step, a product);
 * - leakyRelu: leaky ReLU itself, four lanes at a time where tfjs-backend-wasm's takes 6 ns a number;
 * - leakyReluGradient: leaky ReLU's, where TF.js's take three (a comparison, a product, a select);
 * - eluGradient: ELU's, four lanes at a time where tfjs-backend-wasm's goes one number at a time;
 * - clipGradient: ClipByValue's, in one pass where TF.js's take four (PixelCNN++'s log-scales);
 * - langevinMove: a Langevin step's move, in one pass where TF.js's take five (../wasm-heap-langevin.ts);
 * - add, subtract, multiply: TF.js's Add, Sub and Multiply on two float32 tensors of one shape,
 *   four lanes at a time where tfjs-backend-wasm's take 0.6-0.8 ns a number (a scalar loop's
 *   speed, even in cache) at the sizes of PixelCNN's and PixelCNN++'s maps.
 * Each computes what TF.js does, float32 operation for float32 operation, so the same numbers.
 */
import { FunctionWriter } from './encoder';

/**
 * The loop of an element-wise kernel with one output: for `count` floats at the pointers
 * `inputs` and `out` (byte addresses), `compute` leaves the output's vector on the stack,
 * given the inputs' vectors in locals: four lanes at a time, then the tail one number at a
 * time, as lane 0 of a vector whose lanes all hold it (the same float32 operations).
 * `setup` runs first (splatting constants into locals, say).
 */
export function lanewise(name: string, inputs: string[], extraParams: string[], compute: (f: FunctionWriter, vectors: number[]) => void, setup: (f: FunctionWriter) => void = () => {}): FunctionWriter {
  const f = new FunctionWriter(name, [...inputs, 'out', 'count', ...extraParams]);
  const vectors = inputs.map((input) => f.local('v128', `${input}Vector`));
  setup(f);
  const advance = (bytes: number) => [...inputs, 'out'].forEach((pointer) => f.get(pointer).i32(bytes).op('i32.add').set(pointer));
  f.whileLoop(() => f.get('count').i32(4).op('i32.ge_u'), () => {
    inputs.forEach((input, i) => f.get(input).memory('v128.load').set(vectors[i]));
    f.get('out');
    compute(f, vectors);
    f.memory('v128.store');
    advance(16);
    f.get('count').i32(4).op('i32.sub').set('count');
  });
  f.whileLoop(() => f.get('count'), () => {
    inputs.forEach((input, i) => f.get(input).f32Load().simd('f32x4.splat').set(vectors[i]));
    f.get('out');
    compute(f, vectors);
    f.extractLane(0).f32Store();
    advance(4);
    f.get('count').i32(1).op('i32.sub').set('count');
  });
  return f;
}

/**
 * The loop over rows of blocks of numbers (the gate's pixels of channels, the LSTM's rows of
 * units): `rows` rows (the parameter of that name) of `width` numbers (a parameter, a
 * multiple of 4), `unroll` vectors of four at a time while that many are left in the row,
 * then one; `body(u)` handles the vector 16 u bytes on from each pointer. The `narrow`
 * pointers hold one block a row; the `wide` ones several, the first walked and the others
 * read at offsets of the body's own, and at a row's end they skip the bytes `pastRow` pushes
 * (the blocks after the first). The i32 local `j` counts the row's numbers done.
 */
export function blockRows(f: FunctionWriter, { rows, width, wide, narrow, pastRow, body, unroll = 1 }: { rows: string; width: string; wide: string[]; narrow: string[]; pastRow: () => void; body: (u: number) => void; unroll?: number }): void {
  const step = (vectors: number) => {
    for (let u = 0; u < vectors; u++) body(u);
    [...wide, ...narrow].forEach((pointer) => f.get(pointer).i32(16 * vectors).op('i32.add').set(pointer));
    f.get('j').i32(4 * vectors).op('i32.add').set('j');
  };
  f.whileLoop(() => f.get(rows), () => {
    f.i32(0).set('j');
    if (unroll > 1) f.whileLoop(() => f.get(width).get('j').op('i32.sub').i32(4 * unroll).op('i32.ge_u'), () => step(unroll));
    f.whileLoop(() => f.get('j').get(width).op('i32.lt_u'), () => step(1));
    wide.forEach((pointer) => {
      f.get(pointer);
      pastRow();
      f.op('i32.add').set(pointer);
    });
    f.get(rows).i32(1).op('i32.sub').set(rows);
  });
}

/** A new v128 local with `value` in every lane: a constant, or (a parameter's name) a float32 parameter passed as its bits. */
export function splatLocal(f: FunctionWriter, name: string, value: number | string): number {
  const local = f.local('v128', name);
  if (typeof value === 'number') f.f32(value);
  else f.get(value).op('f32.reinterpret_i32');
  f.simd('f32x4.splat').set(local);
  return local;
}

/**
 * The vector local `sum` times Swish's slope s + y (1 - s), in swishGradient's float32
 * operations and order: s and y read at the parameters slopeS and slopeY plus the i32 that
 * `offset` pushes, `bytes` further on; `one` a local of ones, `s` a vector local for s. The
 * epilogue of a sum that carries a gradient on through Swish (kernels.ts's gemmGather,
 * copy-kernels.ts's weightedSums).
 */
export function timesSwishSlope(f: FunctionWriter, sum: number, offset: () => void, bytes: number, one: number, s: number): void {
  f.get('slopeS');
  offset();
  f.op('i32.add').memory('v128.load', bytes).set(s);
  f.get(sum).get(s);
  f.get('slopeY');
  offset();
  f.op('i32.add').memory('v128.load', bytes).get(one).get(s).simd('f32x4.sub').simd('f32x4.mul');
  f.simd('f32x4.add').simd('f32x4.mul').set(sum);
}

/**
 * out[i] = dy[i] (s[i] + y[i] (1 - s[i])) for `count` floats (addresses in bytes): the float32
 * operations of swish.ts's composition, in its order (no fused multiply-add), so the same numbers.
 */
export function swishGradient(): FunctionWriter {
  let one = 0;
  return lanewise('swishGradient', ['dy', 's', 'y'], [], (f, [dy, s, y]) => {
    // dy, s, y (1 - s); then s + y (1 - s); then dy (...)
    f.get(dy).get(s).get(y).get(one).get(s).simd('f32x4.sub').simd('f32x4.mul');
    f.simd('f32x4.add').simd('f32x4.mul');
  }, (f) => (one = splatLocal(f, 'ones', 1)));
}

/**
 * out[i] = dy[i] * step(x[i]) for `count` floats (addresses in bytes), with TF.js's step: 1
 * where x > 0, NaN where x is NaN, else 0. TF.js's mul(dy, step(x)) as one product, so the
 * same numbers (an infinite or NaN dy times 0 is NaN, as there).
 */
export function reluGradient(): FunctionWriter {
  let one = 0;
  return lanewise('reluGradient', ['dy', 'x'], [], (f, [dy, x]) => {
    f.get(dy);
    // step: the comparison's all-ones lanes pick 1.0's bits, and a NaN's own lanes (x != x) its bits
    f.get(x).zeroVector().simd('f32x4.gt').get(one).simd('v128.and');
    f.get(x).get(x).simd('f32x4.ne').get(x).simd('v128.and').simd('v128.or');
    f.simd('f32x4.mul');
  }, (f) => (one = splatLocal(f, 'ones', 1)));
}

/**
 * out[i] = x[i] < 0 ? alpha x[i] : x[i] for `count` floats (alpha as float32 bits): TF.js's
 * LeakyRelu, so the same numbers (-0 and NaN pass through as they are).
 */
export function leakyRelu(): FunctionWriter {
  let alpha = 0;
  return lanewise('leakyRelu', ['x'], ['alphaBits'], (f, [x]) => {
    f.get(x).get(alpha).simd('f32x4.mul').get(x).get(x).zeroVector().simd('f32x4.lt').simd('v128.bitselect');
  }, (f) => (alpha = splatLocal(f, 'alphaVector', 'alphaBits')));
}

/**
 * out[i] = x[i] > 0 ? dy[i] : dy[i] * alpha for `count` floats (alpha as float32 bits): tfjs-core's
 * gradient of LeakyRelu, where(greater(x, 0), dy, mul(dy, alpha)), so the same numbers.
 */
export function leakyReluGradient(): FunctionWriter {
  let alpha = 0;
  return lanewise('leakyReluGradient', ['dy', 'x'], ['alphaBits'], (f, [dy, x]) => {
    f.get(dy).get(dy).get(alpha).simd('f32x4.mul').get(x).zeroVector().simd('f32x4.gt').simd('v128.bitselect');
  }, (f) => (alpha = splatLocal(f, 'alphaVector', 'alphaBits')));
}

/**
 * out[i] = low <= x[i] <= high ? dy[i] : 0 for `count` floats (the bounds as float32 bits):
 * tfjs-core's gradient of ClipByValue, where(logicalAnd(greaterEqual(x, low), lessEqual(x,
 * high)), dy, zerosLike(dy)), four kernels a number at a time, so the same numbers (a NaN x
 * gives 0, as there).
 */
export function clipGradient(): FunctionWriter {
  let [low, high] = [0, 0];
  return lanewise('clipGradient', ['dy', 'x'], ['lowBits', 'highBits'], (f, [dy, x]) => {
    f.get(dy).get(x).get(low).simd('f32x4.ge').get(x).get(high).simd('f32x4.le').simd('v128.and').simd('v128.and');
  }, (f) => {
    low = splatLocal(f, 'lowVector', 'lowBits');
    high = splatLocal(f, 'highVector', 'highBits');
  });
}

/** Bytes of the two upper float32 lanes moved down (for f64x2.promote_low), and of two vectors' low halves side by side. */
export const UPPER_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
export const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/**
 * out[i] = y[i] > 0 ? dy[i] : dy[i] (y[i] + 1) for `count` floats, y = ELU(x): TF.js's EluGrad.
 * Both its backends take y + 1 and the product in float64 (tfjs-backend-wasm with a double 1.0,
 * the CPU's in JavaScript) and round to float32. Without `fused`: so here too, two lanes at a
 * time in float64, TF.js's bits. With it: dy y + dy as relaxed SIMD's multiply-add, four lanes
 * at a time (0.58x of the time on PixelCNN++'s maps of 276,000 numbers, by turns in one
 * process), which where the engine fuses it (x86 with FMA3, ARM) is dy (y + 1) rounded once,
 * correctly. So is TF.js's wherever float64 holds dy (y + 1) exactly (|y| at least 2^-6, or 0),
 * and there the bits are the same; below, float64 rounds first and the two can differ in the
 * last place (the fused one the nearer). Where the engine does not fuse, within a unit in the
 * last place. An infinite or zero dy goes the float32 way, dy (y + 1): inf y + inf would be NaN
 * where inf (y + 1) is not, and -0 y + -0 is +0 where -0 (y + 1) is -0. One sign is left as the
 * fused sum gives it: at y = -1 (ELU's floor, x below about -17) dy (-1) + dy is +0 where TF.js's
 * dy 0 is -0 for a negative dy. A zero's sign changes nothing a gradient is used for (sums,
 * Adam's moments), and checking for it cost all the time the fused sum saves (1.0x of the
 * float64 kernel with the check, 0.58-0.65x without). At y = 0 both sides give dy.
 */
export function eluGradient(fused = false): FunctionWriter {
  let [one, infinity, sign] = [0, 0, 0];
  return lanewise('eluGradient', ['dy', 'y'], [], (f, [dy, y]) => {
    f.get(dy);
    if (fused) {
      // dy y + dy, rounded once; dy (y + 1) in float32 where dy is infinite or zero
      f.get(dy).get(y).get(one).simd('f32x4.add').simd('f32x4.mul');
      f.get(dy).get(y).get(dy).simd('f32x4.relaxed_madd');
      f.get(dy).get(sign).simd('v128.andnot').get(infinity).simd('f32x4.eq');
      f.get(dy).zeroVector().simd('f32x4.eq').simd('v128.or').simd('v128.bitselect');
    } else {
      /** dy (y + 1) of the lower or upper two lanes, in float64, rounded to float32 in the low half. */
      const product = (upper: boolean) => {
        const lanes = (vector: number) => (upper ? f.get(vector).get(vector).shuffle(UPPER_HALF) : f.get(vector));
        lanes(dy).simd('f64x2.promote_low_f32x4');
        lanes(y).simd('f64x2.promote_low_f32x4').get(one).simd('f64x2.add').simd('f64x2.mul').simd('f32x4.demote_f64x2_zero');
      };
      product(false);
      product(true);
      f.shuffle(LOW_HALVES);
    }
    f.get(y).zeroVector().simd('f32x4.gt').simd('v128.bitselect');
  }, (f) => {
    if (fused) {
      [one, infinity, sign] = [splatLocal(f, 'ones', 1), splatLocal(f, 'infinities', Infinity), splatLocal(f, 'signs', -0)];
    } else {
      one = f.local('v128', 'onesDouble');
      f.f32(1).op('f64.promote_f32').simd('f64x2.splat').set(one);
    }
  });
}

/**
 * Batch normalisation with its statistics given, TF.js's FusedBatchNorm:
 *   out[r, c] = offset[c] + (x[r, c] - mean[c]) * scale[c] / factor[c],  factor = sqrt(variance + epsilon)
 * for `rows` rows of `channels` numbers (a multiple of 4), the four per-channel arrays given.
 * tfjs-backend-wasm rounds x - mean and its product by the scale to float32, then divides and
 * adds the offset in float64 and rounds once (so it gave the bits of no float32 order tried);
 * here too, two lanes at a time in float64, so the same numbers.
 */
export function batchNormalize(): FunctionWriter {
  const f = new FunctionWriter('batchNormalize', ['x', 'out', 'rows', 'channels', 'mean', 'scale', 'offset', 'factor']);
  const [at, end] = [f.local('i32', 'at'), f.local('i32', 'end')];
  const [scaled, factors, offsets] = [f.local('v128', 'scaled'), f.local('v128', 'factors'), f.local('v128', 'offsets')];
  f.whileLoop(() => f.get('rows'), () => {
    f.i32(0).set(at);
    f.get('channels').i32(2).op('i32.shl').set(end);
    f.whileLoop(() => f.get(at).get(end).op('i32.lt_u'), () => {
      // (x - mean) scale, in float32
      f.get('x').get(at).op('i32.add').memory('v128.load').get('mean').get(at).op('i32.add').memory('v128.load').simd('f32x4.sub');
      f.get('scale').get(at).op('i32.add').memory('v128.load').simd('f32x4.mul').set(scaled);
      f.get('factor').get(at).op('i32.add').memory('v128.load').set(factors);
      f.get('offset').get(at).op('i32.add').memory('v128.load').set(offsets);
      f.get('out').get(at).op('i32.add');
      /** offset + scaled / factor of the lower or upper two lanes, in float64, rounded to float32 in the low half. */
      const normalized = (upper: boolean) => {
        const lanes = (vector: number) => (upper ? f.get(vector).get(vector).shuffle(UPPER_HALF) : f.get(vector)).simd('f64x2.promote_low_f32x4');
        lanes(offsets);
        lanes(scaled);
        lanes(factors);
        f.simd('f64x2.div').simd('f64x2.add').simd('f32x4.demote_f64x2_zero');
      };
      normalized(false);
      normalized(true);
      f.shuffle(LOW_HALVES).memory('v128.store');
      f.get(at).i32(16).op('i32.add').set(at);
    });
    f.get('x').get(end).op('i32.add').set('x');
    f.get('out').get(end).op('i32.add').set('out');
    f.get('rows').i32(1).op('i32.sub').set('rows');
  });
  return f;
}

/**
 * out = min(max(x - step * min(max(g, -clip), clip) + noise, low), high) for `count` floats
 * (addresses in bytes; the four constants as float32 bits, clip, low and high infinite for
 * none): TF.js's clip, product, difference, sum and clip, each rounded to float32 in that
 * order, so the same numbers for finite inputs. The clips are f32x4.pmax and pmin (one
 * instruction each where V8 makes min and max of seven), which keep a NaN as min and max do.
 */
export function langevinMove(): FunctionWriter {
  const names = ['step', 'clip', 'low', 'high'] as const;
  let constants: number[] = [];
  return lanewise('langevinMove', ['x', 'g', 'noise'], names.map((name) => `${name}Bits`), (f, [x, g, noise]) => {
    const [step, clip, low, high] = constants;
    // x - step * clip(g), + noise, then into [low, high]
    f.get(x);
    // pmax(v, b) = v < b ? b : v and pmin(v, b) = b < v ? b : v, one instruction each where max and min
    // take seven: the same numbers here, a NaN kept as max and min keep it, and no -0 to tell apart
    // from 0 at the bounds (a sum with the noise is -0 only when both are)
    f.get(g).zeroVector().get(clip).simd('f32x4.sub').simd('f32x4.pmax').get(clip).simd('f32x4.pmin');
    f.get(step).simd('f32x4.mul').simd('f32x4.sub');
    f.get(noise).simd('f32x4.add');
    f.get(low).simd('f32x4.pmax').get(high).simd('f32x4.pmin');
  }, (f) => (constants = names.map((name) => splatLocal(f, `${name}Vector`, `${name}Bits`))));
}

/** out[i] = a[i] op b[i] for `count` floats: one float32 operation, rounded once, so TF.js's numbers whatever the order of lanes. */
export function binary(name: 'add' | 'subtract' | 'multiply'): FunctionWriter {
  const op = ({ add: 'f32x4.add', subtract: 'f32x4.sub', multiply: 'f32x4.mul' } as const)[name];
  return lanewise(name, ['a', 'b'], [], (f, [a, b]) => f.get(a).get(b).simd(op));
}
