/**
 * Kernels built on an exponential in 128-bit SIMD, generated as code (see encoder.ts) into the
 * module of ./kernels.ts, used by ../wasm-heap-activations.ts:
 * - swishForward: s = sigmoid(x) and y = x s, both kept for Swish's gradient (../models/swish.ts),
 *   in one pass where TF.js's ops take two: tfjs-backend-wasm's sigmoid (XNNPACK's) runs at
 *   about 1.3 ns a number on the 2-core Xeon and its product at 0.5, and the EBM runs Swish on
 *   every layer of every Langevin step; ours makes both in about the sigmoid's time alone, and
 *   with relaxed SIMD's fused multiply-add (where the engine has it, as the page and the
 *   benchmark run) in 0.83-0.87 of XNNPACK's sigmoid's time against 0.96-0.99 without
 *   (tests/unit/swish.test.ts holds both to the same bounds);
 * - eluForward: elu(x), in place of tfjs-backend-wasm's Elu (XNNPACK's), with exp - 1 taken
 *   without losing small x's digits (exponentialMinusOneOf);
 * - exponential: exp(x), in place of tfjs-backend-wasm's Exp (std::exp a number at a time,
 *   6.5 ns each at PixelCNN++'s sizes against 1.7, in its mixture's scales);
 * - softplus: log(1 + exp(x)), in place of tfjs-backend-wasm's Softplus (18 ns a number
 *   against 4.3, in PixelCNN++'s mixture's log-probabilities).
 *
 * exp(z) for z up to 88.37, after Cephes' expf (Moshier, https://www.netlib.org/cephes/): z = n ln 2
 * + r with n = round(z / ln 2) and |r| <= ln(2) / 2, r taken off in two parts (Cody and
 * Waite) so that n ln2hi is exact, exp(r) ~ 1 + r + r^2 P(r) with Cephes' P of degree 5
 * (within a unit in the last place on that interval), and 2^n put in the exponent's bits.
 * No fused multiply-adds, so the same numbers on every processor, except in swishForward's
 * variant for relaxed SIMD (exponentialOf's `fused`): there its eight multiply-add pairs are one
 * instruction each, which on this module's hot path (the EBM's Swish, 10% of its step) is 14-15%
 * less time (0.85-0.86x, by turns in one process); its values stay within the same bounds of the true ones.
 *
 * Written for latency, which is what bounds it: a lane's sigmoid is one chain of about 25
 * dependent operations, and the processor can keep only a few vectors' chains in flight.
 * So n is rounded by adding 1.5 * 2^23 (whose float32 has no bits below 1), which also
 * leaves n + 127 in the low bits, ready to shift into an exponent (as XNNPACK's kernels do);
 * P is evaluated by Estrin's scheme (three levels, not Horner's five); the constants are
 * splatted once, before the loop.
 */
import { FunctionWriter } from './encoder';
import { lanewise } from './elementwise-kernels';

/** ln 2 in two parts: 0.693359375 has 9 significant bits, so n * LN2_HIGH is exact for |n| < 2^15. */
const LN2_HIGH = 0.693359375;
const LN2_LOW = -2.12194440e-4;
/** Cephes expf's P, lowest power first. */
const P = [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4];
/** Below this, exp(z) would leave float32's normal numbers: 2^-126 ~ exp(-87.3365). */
const LOWEST_EXPONENT = -87.33654;
/** 1.5 * 2^23 + 127: adding it rounds to an integer n, and the sum's low mantissa bits are n + 127. */
const ROUNDING_BIAS = 12582912 + 127;
/**
 * Above LARGE, exp(x) is taken as exp(x / 2)^2, so that n stays at most 127 (an exponent);
 * x / 2 is clamped to HALF_CEILING, whose square overflows to infinity as exp(x) does past 88.72.
 */
const LARGE = 80;
const HALF_CEILING = 44.5;

/** Cephes' tanhf below SMALL_TANH: x + x^3 Q(x^2), Q's coefficients lowest power first. */
const Q = [-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2, -5.70498872745e-3];
const SMALL_TANH = 0.625;

const CONSTANTS = { sign: -0, zero: 0, minusTwo: -2, smallTanh: SMALL_TANH, q0: Q[0], q1: Q[1], q2: Q[2], q3: Q[3], q4: Q[4], sqrt2: Math.SQRT2, ln2: Math.LN2, two: 2, l3: 2 / 3, l5: 2 / 5, l7: 2 / 7, l9: 2 / 9, large: LARGE, half: 0.5, halfCeiling: HALF_CEILING, lowest: LOWEST_EXPONENT, log2e: Math.LOG2E, bias: ROUNDING_BIAS, ln2High: LN2_HIGH, ln2Low: LN2_LOW, one: 1, p0: P[0], p1: P[1], p2: P[2], p3: P[3], p4: P[4], p5: P[5] };
export type ConstantName = keyof typeof CONSTANTS;

/** The vector constants as locals, splatted at the function's start. */
export function splatConstants(f: FunctionWriter): Record<ConstantName, number> {
  const locals = {} as Record<ConstantName, number>;
  for (const [name, value] of Object.entries(CONSTANTS) as Array<[ConstantName, number]>) {
    locals[name] = f.local('v128', `${name}Splat`);
    f.f32(value).simd('f32x4.splat').set(locals[name]);
  }
  return locals;
}

/** The six v128 locals exponentialOf works in, their names ending in `suffix`. */
export const exponentialScratch = (f: FunctionWriter, suffix: string) => ['t', 'n', 'r', 'r2', 'upper', 'underflow'].map((name) => f.local('v128', `${name}${suffix}`));

/**
 * Writes code that leaves exp(z) on the stack for the vector in local `z` (lanes at most
 * 88.37, so that n <= 127; NaN allowed): 0 below LOWEST_EXPONENT, where float32's normal
 * numbers end. `scratch` are six v128 locals; `z` is overwritten.
 */
export function exponentialOf(f: FunctionWriter, c: Record<ConstantName, number>, z: number, scratch: number[], fused = false): void {
  const [t, , r, r2, upper, underflow] = scratch;
  const multiplyAdd = multiplyAddOf(f, fused);
  f.get(z).get(c.lowest).simd('f32x4.lt').set(underflow);
  reducedPolynomial(f, c, z, scratch, fused);
  // exp(r) = r^2 P(r) + (r + 1), times 2^n, whose bits are (n + 127) << 23; 0 where z underflows
  multiplyAdd(local(f, r2), local(f, upper), () => void f.get(r).get(c.one).simd('f32x4.add'));
  f.get(t).i32(23).simd('i32x4.shl').simd('f32x4.mul').get(underflow).simd('v128.andnot');
}

/** a b + c (each pushes its vector): one instruction with relaxed SIMD's multiply-add (`fused`), else a product and a sum. */
function multiplyAddOf(f: FunctionWriter, fused: boolean): (a: () => void, b: () => void, addend: () => void) => void {
  return (a, b, addend) => {
    a();
    b();
    if (fused) {
      addend();
      f.simd('f32x4.relaxed_madd');
    } else {
      f.simd('f32x4.mul');
      addend();
      f.simd('f32x4.add');
    }
  };
}

const local = (f: FunctionWriter, index: number) => () => void f.get(index);

/**
 * What exp and exp - 1 share: z clamped to LOWEST_EXPONENT, then in exponentialScratch's
 * locals t (its low bits n + 127), r = z - n ln 2, r2 = r^2 and upper = P(r).
 */
function reducedPolynomial(f: FunctionWriter, c: Record<ConstantName, number>, z: number, scratch: number[], fused: boolean): void {
  const [t, n, r, r2, upper] = scratch;
  const multiplyAdd = multiplyAddOf(f, fused);
  const get = (index: number) => local(f, index);
  // z clamped so that n + 127 stays an exponent: pmax(z, lowest) = z < lowest ? lowest : z, one instruction where max is eight, and a NaN stays NaN
  f.get(z).get(c.lowest).simd('f32x4.pmax').set(z);
  // t = z log2(e) + 1.5 * 2^23 + 127: its low bits n + 127, n = round(z / ln 2) in [-126, 127]
  multiplyAdd(get(z), get(c.log2e), get(c.bias));
  f.tee(t).get(c.bias).simd('f32x4.sub').set(n);
  // r = z - n ln2hi - n ln2lo
  if (fused) f.get(n).get(c.ln2High).get(z).simd('f32x4.relaxed_nmadd').set(r).get(n).get(c.ln2Low).get(r).simd('f32x4.relaxed_nmadd').tee(r);
  else f.get(z).get(n).get(c.ln2High).simd('f32x4.mul').simd('f32x4.sub').get(n).get(c.ln2Low).simd('f32x4.mul').simd('f32x4.sub').tee(r);
  f.get(r).simd('f32x4.mul').set(r2);
  // P(r) = (p0 + p1 r) + r^2 ((p2 + p3 r) + r^2 (p4 + p5 r))
  multiplyAdd(() => multiplyAdd(get(c.p5), get(r), get(c.p4)), get(r2), () => multiplyAdd(get(c.p3), get(r), get(c.p2)));
  f.get(r2).simd('f32x4.mul').set(upper);
  multiplyAdd(get(c.p1), get(r), get(c.p0));
  f.get(upper).simd('f32x4.add').set(upper);
}

/**
 * Writes code that leaves exp(z) - 1 on the stack for the vector in local `z` (lanes at most
 * 0; NaN allowed): with exp(z) = 2^n (1 + q), q = r + r^2 P(r), as 2^n q + (2^n - 1). Where
 * |z| < ln(2) / 2, n is 0 and that is q itself, never 1 added and taken off again, so small
 * z keep their digits (exp(z) - 1 would keep only z's first few). -1 below -87.34.
 * `scratch` are exponentialScratch's six locals; `z` is overwritten.
 */
export function exponentialMinusOneOf(f: FunctionWriter, c: Record<ConstantName, number>, z: number, scratch: number[], fused = false): void {
  const [t, n, r, r2, upper] = scratch;
  const multiplyAdd = multiplyAddOf(f, fused);
  reducedPolynomial(f, c, z, scratch, fused);
  // q = r^2 P(r) + r, into r2; 2^n into n
  multiplyAdd(local(f, r2), local(f, upper), local(f, r));
  f.set(r2);
  f.get(t).i32(23).simd('i32x4.shl').set(n);
  multiplyAdd(local(f, r2), local(f, n), () => void f.get(n).get(c.one).simd('f32x4.sub'));
}

/** The eight v128 locals sigmoidOf works in, their names ending in `suffix`. */
export const sigmoidScratch = (f: FunctionWriter, suffix: string) => [f.local('v128', `z${suffix}`), f.local('v128', `e${suffix}`), ...exponentialScratch(f, suffix)];

/**
 * Writes code that leaves sigmoid(x) on the stack for the vector in local `x`: with
 * e = exp(-|x|) <= 1, which cannot overflow, (x > 0 ? 1 : e) / (1 + e). A NaN gives NaN;
 * below -87.3 it is 0, as TF.js's. `scratch` are eight v128 locals (sigmoidScratch).
 */
export function sigmoidOf(f: FunctionWriter, c: Record<ConstantName, number>, x: number, scratch: number[], fused = false): FunctionWriter {
  const [z, e, ...exponential] = scratch;
  // z = -|x|: the sign bit set
  f.get(x).get(c.sign).simd('v128.or').set(z);
  exponentialOf(f, c, z, exponential, fused);
  // (x > 0 ? 1 : e) / (1 + e)
  f.tee(e).get(c.one).simd('f32x4.add').set(z);
  return f.get(c.one).get(e).get(x).zeroVector().simd('f32x4.gt').simd('v128.bitselect').get(z).simd('f32x4.div');
}

/** The ten v128 locals tanhOf works in, their names ending in `suffix`. */
export const tanhScratch = (f: FunctionWriter, suffix: string) => ['tanhA', 'tanhZ', 'tanhE', 'tanhS'].map((name) => f.local('v128', `${name}${suffix}`)).concat(exponentialScratch(f, `Tanh${suffix}`));

/**
 * Writes code that leaves tanh(x) on the stack for the vector in local `x`, after Cephes'
 * tanhf: below |x| = 0.625, x + x^3 Q(x^2) (where 1 - exp(-2|x|) would lose x's digits);
 * above, with e = exp(-2|x|) <= 0.29, which cannot overflow, sign(x) (1 - e) / (1 + e). NaN
 * gives NaN, +-1 past |x| = 44 (e is 0 there), and -0 gives -0. `scratch` are tanhScratch's locals.
 */
export function tanhOf(f: FunctionWriter, c: Record<ConstantName, number>, x: number, scratch: number[], fused = false): FunctionWriter {
  const [a, z, e, s, ...exponential] = scratch;
  // a = |x|: the sign bit cleared
  f.get(x).get(c.sign).simd('v128.andnot').tee(a);
  f.get(c.minusTwo).simd('f32x4.mul').set(z);
  exponentialOf(f, c, z, exponential, fused);
  // (1 - e) / (1 + e), of |x|
  f.set(e);
  f.get(c.one).get(e).simd('f32x4.sub').get(c.one).get(e).simd('f32x4.add').simd('f32x4.div').set(e);
  // x + x s Q(s), s = x^2, Q by Estrin's scheme: (q0 + q1 s) + s^2 ((q2 + q3 s) + s^2 q4)
  f.get(x).get(x).simd('f32x4.mul').tee(s).get(s).simd('f32x4.mul').set(z);
  f.get(c.q4).get(z).simd('f32x4.mul').get(c.q3).get(s).simd('f32x4.mul').get(c.q2).simd('f32x4.add').simd('f32x4.add').get(z).simd('f32x4.mul');
  f.get(c.q1).get(s).simd('f32x4.mul').get(c.q0).simd('f32x4.add').simd('f32x4.add');
  f.get(s).simd('f32x4.mul').get(x).simd('f32x4.mul').get(x).simd('f32x4.add');
  // the polynomial below 0.625, else the quotient; then x's sign (the polynomial has it already, but for -0)
  return f.get(e).get(a).get(c.smallTanh).simd('f32x4.lt').simd('v128.bitselect').get(x).get(c.sign).simd('v128.and').simd('v128.or');
}

/**
 * out[i] = tanh(x[i]) for `count` floats, in place of tfjs-backend-wasm's Tanh (std::tanh a
 * number at a time); within 2 units in the last place of the true tanh
 * (tests/unit/exponential.test.ts; 1 at most over a million points from -20 to 20, measured once).
 */
export function hyperbolicTangent(): FunctionWriter {
  let c = {} as Record<ConstantName, number>;
  let scratch: number[] = [];
  return lanewise('hyperbolicTangent', ['x'], [], (f, [x]) => {
    tanhOf(f, c, x, scratch);
  }, (f) => {
    c = splatConstants(f);
    scratch = tanhScratch(f, 'Vector');
  });
}

/** One of chainedLanes' vectors: the local its input is loaded into, and those its results are left in, one per output. */
interface ChainedLane {
  x: number;
  results: number[];
}

/**
 * The loop of a kernel whose every vector is one long chain of dependent operations (an
 * exponential's): `lanes.length` vectors a turn, each loaded and taken through `compute` (from
 * its `x` to its `results`) before the first is stored, so that the chains run side by side;
 * then the tail one number at a time, through lane 0 of the first lane's vectors. The results
 * go to the pointer parameters `outputs`, in their order; `input` and they advance together,
 * while the parameter `count` counts down.
 */
function chainedLanes<Lane extends ChainedLane>(f: FunctionWriter, input: string, outputs: string[], lanes: Lane[], compute: (lane: Lane) => void): void {
  const advance = (bytes: number) => [input, ...outputs].forEach((pointer) => f.get(pointer).i32(bytes).op('i32.add').set(pointer));
  const unroll = lanes.length;
  f.whileLoop(() => f.get('count').i32(4 * unroll).op('i32.ge_u'), () => {
    lanes.forEach((lane, u) => f.get(input).memory('v128.load', 16 * u).set(lane.x));
    lanes.forEach(compute);
    lanes.forEach((lane, u) => outputs.forEach((output, o) => f.get(output).get(lane.results[o]).memory('v128.store', 16 * u)));
    advance(16 * unroll);
    f.get('count').i32(4 * unroll).op('i32.sub').set('count');
  });
  const [lane] = lanes;
  f.whileLoop(() => f.get('count'), () => {
    f.get(input).f32Load().simd('f32x4.splat').set(lane.x);
    compute(lane);
    outputs.forEach((output, o) => f.get(output).get(lane.results[o]).extractLane(0).f32Store());
    advance(4);
    f.get('count').i32(1).op('i32.sub').set('count');
  });
}

/**
 * s[i] = sigmoid(x[i]), y[i] = x[i] s[i] for `count` floats (addresses in bytes). With
 * e = exp(-|x|) <= 1, which cannot overflow: sigmoid(x) = 1 / (1 + e) for x > 0 and
 * e / (1 + e) otherwise. A NaN gives NaN; below -87.3 sigmoid is 0, as TF.js's, so
 * y(-inf) is NaN there too. `unroll` vectors a turn (chainedLanes): each lane's sigmoid is one
 * long chain of dependent operations. `fused`: with relaxed SIMD's multiply-add (exponentialOf).
 */
export function swishForward(unroll = 4, fused = false): FunctionWriter {
  const f = new FunctionWriter('swishForward', ['x', 's', 'y', 'count']);
  const c = splatConstants(f);
  const lanes = Array.from({ length: unroll }, (_, u) => {
    const [s, y] = [f.local('v128', `s${u}`), f.local('v128', `y${u}`)];
    return { x: f.local('v128', `x${u}`), results: [s, y], scratch: sigmoidScratch(f, String(u)) };
  });
  chainedLanes(f, 'x', ['s', 'y'], lanes, ({ x, results: [s, y], scratch }) => {
    sigmoidOf(f, c, x, scratch, fused).set(s);
    f.get(x).get(s).simd('f32x4.mul').set(y);
  });
  return f;
}

/**
 * out[i] = elu(x[i]) = x[i] if x[i] >= 0, else exp(x[i]) - 1, for `count` floats, in place of
 * tfjs-backend-wasm's Elu (XNNPACK's, 0.8 ns a number on PixelCNN++'s maps): exp - 1 by
 * exponentialMinusOneOf, within 1 unit in the last place of the true value (a review checked
 * every seventh negative float32 in both variants; x = -0 stays -0,
 * NaN stays NaN). `unroll` vectors a turn, as swishForward takes them. `fused`: with relaxed
 * SIMD's multiply-add.
 */
export function eluForward(unroll = 4, fused = false): FunctionWriter {
  const f = new FunctionWriter('eluForward', ['x', 'out', 'count']);
  const c = splatConstants(f);
  const lanes = Array.from({ length: unroll }, (_, u) => ({ x: f.local('v128', `x${u}`), results: [f.local('v128', `z${u}`)], scratch: exponentialScratch(f, String(u)) }));
  chainedLanes(f, 'x', ['out'], lanes, ({ x, results: [z], scratch }) => {
    // z = min(x, 0): pmin(x, 0) = 0 < x ? 0 : x, so exp(z) never overflows (and a NaN stays NaN)
    f.get(x).get(c.zero).simd('f32x4.pmin').set(z);
    exponentialMinusOneOf(f, c, z, scratch, fused);
    // exp(x) - 1 where x < 0, else x itself (-0 and NaN among them)
    f.get(x).get(x).get(c.zero).simd('f32x4.lt').simd('v128.bitselect').set(z);
  });
  return f;
}

/**
 * out[i] = exp(x[i]) for `count` floats (addresses in bytes), within 2 units in the last place
 * up to 80 and 5 above (exp(x / 2)^2 there), infinite past 88.72, 0 below -87.34 (where
 * std::exp would give the subnormal numbers), NaN for NaN.
 */
export function exponential(): FunctionWriter {
  let c = {} as Record<ConstantName, number>;
  let [z, large, scratch] = [0, 0, [] as number[]];
  return lanewise('exponential', ['x'], [], (f, [x]) => {
    // z = x, or x / 2 past LARGE (at most HALF_CEILING; pmin keeps a NaN)
    f.get(x).get(c.large).simd('f32x4.gt').set(large);
    f.get(x).get(c.half).simd('f32x4.mul').get(c.halfCeiling).simd('f32x4.pmin').get(x).get(large).simd('v128.bitselect').set(z);
    exponentialOf(f, c, z, scratch);
    // squared where halved
    f.set(z);
    f.get(z).get(z).simd('f32x4.mul').get(z).get(large).simd('v128.bitselect');
  }, (f) => {
    c = splatConstants(f);
    [z, large] = ['zVector', 'largeVector'].map((name) => f.local('v128', name));
    scratch = exponentialScratch(f, 'Vector');
  });
}

/** The locals softplusOf and logOf work in, their names ending in `suffix`. */
export const softplusScratch = (f: FunctionWriter, suffix: string) => ['z', 'u', 'w', 'halve', 's', 's2'].map((name) => f.local('v128', `${name}Log${suffix}`)).concat(exponentialScratch(f, `Log${suffix}`));

/**
 * Writes code that leaves 2 atanh(s) + (ln 2 where `halve`) on the stack, s = (w' - 1) / (w' + 1)
 * for the vector w' in local `z`, within [1/sqrt(2), sqrt(2)] (|s| <= 0.172: the series' terms
 * to s^9 suffice): log(w') plus the ln 2 taken off where w' was halved.
 */
function logNearOne(f: FunctionWriter, c: Record<ConstantName, number>, scratch: number[]): void {
  const [z, , , halve, s, s2] = scratch;
  f.get(z).get(c.one).simd('f32x4.sub').get(z).get(c.one).simd('f32x4.add').simd('f32x4.div').tee(s);
  f.get(s).simd('f32x4.mul').set(s2);
  // 2 s + s s^2 (2/3 + s^2 (2/5 + s^2 (2/7 + s^2 2/9))) + ln 2 where halved
  f.get(c.l9).get(s2).simd('f32x4.mul').get(c.l7).simd('f32x4.add');
  for (const coefficient of [c.l5, c.l3]) f.get(s2).simd('f32x4.mul').get(coefficient).simd('f32x4.add');
  f.get(s2).simd('f32x4.mul').get(s).simd('f32x4.mul').get(s).get(c.two).simd('f32x4.mul').simd('f32x4.add');
  f.get(c.ln2).get(halve).simd('v128.and').simd('f32x4.add');
}

/**
 * Writes code that leaves log(1 + exp(x)) on the stack for the vector in local `x`, within 3
 * units in the last place, as max(x, 0) + log1p(u) with u = exp(-|x|) in (0, 1], which neither
 * overflows nor loses u's digits: log1p(u) = log(w) + (u - (w - 1)) / w with w = 1 + u rounded
 * (Goldberg's correction: u - (w - 1) is that rounding's error, exactly), and log(w) = k ln 2 +
 * 2 atanh(s), w = 2^k w' (k 0 or 1) with w' within [1/sqrt(2), sqrt(2)]. NaN for NaN; x itself
 * past 88 (u is 0 there). `scratch`: softplusScratch's locals.
 */
export function softplusOf(f: FunctionWriter, c: Record<ConstantName, number>, x: number, scratch: number[]): void {
  const [z, u, w, halve, , , ...exponential] = scratch;
  // u = exp(-|x|)
  f.get(x).get(c.sign).simd('v128.or').set(z);
  exponentialOf(f, c, z, exponential);
  f.tee(u).get(c.one).simd('f32x4.add').tee(w);
  // w' = w / 2 where w > sqrt(2)
  f.get(c.sqrt2).simd('f32x4.gt').set(halve);
  f.get(w).get(c.half).simd('f32x4.mul').get(w).get(halve).simd('v128.bitselect').set(z);
  f.get(x).get(c.zero).simd('f32x4.pmax');
  logNearOne(f, c, scratch);
  f.get(u).get(w).get(c.one).simd('f32x4.sub').simd('f32x4.sub').get(w).simd('f32x4.div').simd('f32x4.add');
  f.simd('f32x4.add');
}

/**
 * Writes code that leaves log(x) on the stack for the vector in local `x`, each lane a
 * positive normal number: x = 2^e m with m in [1, 2) from x's bits, halved past sqrt(2), and
 * log(x) = e ln 2 + log(m) (logNearOne). `mantissa` and `bias`: v128 locals holding 0x007fffff
 * and 127 in each 32-bit lane. `scratch`: softplusScratch's locals.
 */
export function logOf(f: FunctionWriter, c: Record<ConstantName, number>, x: number, scratch: number[], mantissa: number, bias: number): void {
  const [z, , w, halve] = scratch;
  // m = x's mantissa with the exponent of 1 (1.0's bits are 0x3f800000)
  f.get(x).get(mantissa).simd('v128.and').get(c.one).simd('v128.or').tee(w);
  f.get(c.sqrt2).simd('f32x4.gt').set(halve);
  f.get(w).get(c.half).simd('f32x4.mul').get(w).get(halve).simd('v128.bitselect').set(z);
  // e ln 2, e = (bits >> 23) - 127 (x is positive: no sign bit)
  f.get(x).i32(23).simd('i32x4.shr_u').get(bias).simd('i32x4.sub').simd('f32x4.convert_i32x4_s').get(c.ln2).simd('f32x4.mul');
  logNearOne(f, c, scratch);
  f.simd('f32x4.add');
}

/**
 * out[i] = log(1 + exp(x[i])) for `count` floats (softplusOf), in place of tfjs-backend-wasm's
 * Softplus.
 */
export function softplus(): FunctionWriter {
  let c = {} as Record<ConstantName, number>;
  let scratch = [] as number[];
  return lanewise('softplus', ['x'], [], (f, [x]) => softplusOf(f, c, x, scratch), (f) => {
    c = splatConstants(f);
    scratch = softplusScratch(f, 'Vector');
  });
}
