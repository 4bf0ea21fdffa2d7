/**
 * Seeded Gaussian noise, fast: Marsaglia and Tsang's ziggurat, "The Ziggurat Method for
 * Generating Random Variables" (Journal of Statistical Software 5(8), 2000),
 * https://www.jstatsoft.org/article/view/v005i08.
 *
 * Why not tf.randomNormal: TF.js draws its seeded normals in JavaScript by the polar method
 * over seedrandom's alea, about 25 ns a number. A Langevin walk of the image EBM draws 64 x
 * 784 numbers per step, ten steps per training step: 13 ms of a 140 ms step on WASM. The
 * ziggurat takes one 32-bit draw and one comparison for 97% of its numbers: 0.7 ms a walk's
 * step here, 0.22 ms on WASM, where our WebAssembly draws those (./wasm-heap-noise.ts).
 *
 * The density under exp(-x^2 / 2) is covered by 128 strips of equal area, stacked: strip i
 * spans [0, x_i], x_1 < ... < x_127 = R, strip 0 is the base with the tail beyond R. A draw
 * picks a strip and a point along it; when the point lies within the width of the strip
 * above (most of the time) it is under the curve and is returned. The rest are resolved
 * exactly: by comparing with the curve, or from the tail.
 */
import * as tf from '@tensorflow/tfjs';

const STRIPS = 128;
/** Where the tail starts, R, and the area V of each strip (and of the base with its tail), for 128 strips (Marsaglia and Tsang). */
const R = 3.442619855899;
const V = 9.91256303526217e-3;
/** A draw's 32 bits: the top 25 a sign and a 24-bit magnitude (a float32's whole mantissa), the low 7 the strip. */
const SCALE = 2 ** 24;

/** k[i]: below it, a magnitude in strip i is within x_{i-1}, the width of the strip above, so under the curve; w[i]: x_i / SCALE; f[i]: exp(-x_i^2 / 2). */
const { k, w, f } = (() => {
  const [k, w, f] = [new Int32Array(STRIPS), new Float64Array(STRIPS), new Float64Array(STRIPS)];
  const density = (x: number) => Math.exp(-0.5 * x * x);
  // The base strip is a rectangle [0, V / f(R)] wide with the tail beyond R folded in.
  const q = V / density(R);
  k[0] = Math.floor((R / q) * SCALE);
  k[1] = 0;
  w[0] = q / SCALE;
  w[STRIPS - 1] = R / SCALE;
  f[0] = 1;
  f[STRIPS - 1] = density(R);
  let [x, previous] = [R, R];
  for (let i = STRIPS - 2; i >= 1; i--) {
    // equal areas, x_i (f(x_{i-1}) - f(x_i)) = V, solved for the next edge inwards, x_{i-1}
    x = Math.sqrt(-2 * Math.log(V / x + density(x)));
    k[i + 1] = Math.floor((x / previous) * SCALE);
    previous = x;
    f[i] = density(x);
    w[i] = x / SCALE;
  }
  return { k, w, f };
})();

/** mulberry32's output function (as ./random.ts) on its counter: 32 random bits. */
function mix(counter: number): number {
  let t = counter;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return t ^ (t >>> 14);
}

/** mulberry32's counter steps by this odd constant. */
const STEP = 0x6d2b79f5;

/** Standard normal numbers into `out`, from `seed`: the same seed gives the same numbers. */
export function fillStandardNormal(out: Float32Array | Float64Array, seed: number): void {
  // Number i takes the i-th draw of the generator, whatever came before it; the few that
  // need more draws take them from a second stream. (The state is a local, not shared with
  // a closure: V8 would keep a captured variable in memory, and the loop runs slower.)
  let state = seed | 0;
  slowState = mix(seed ^ SLOW_STREAM);
  for (let index = 0; index < out.length; index++) {
    state = (state + STEP) | 0;
    const bits = mix(state);
    const strip = bits & (STRIPS - 1);
    // a signed 25-bit magnitude: the sign and 24 bits, apart from the strip's bits
    const j = bits >> 7;
    out[index] = (j < 0 ? -j : j) < k[strip] ? j * w[strip] : slowDraw(j, strip);
  }
}

/** The second stream's state: the draws of slowDraw, seeded apart from the first. */
let slowState = 0;
const SLOW_STREAM = 0x5bd1e995;

/** Uniform in (0, 1) from 32 random bits. */
const uniformOf = (bits: number) => ((bits >>> 0) + 0.5) / 4294967296;

/**
 * The 3% of draws not under the next strip's edge, resolved exactly: from the base strip,
 * the tail beyond R; else the wedge between strip and curve; else a fresh draw. Its draws
 * come from the second stream (no closures and no allocation: this runs 1,500 times in
 * 50,000 numbers).
 */
function slowDraw(firstJ: number, firstStrip: number): number {
  let j = firstJ;
  let strip = firstStrip;
  let state = slowState;
  let value = 0;
  for (;;) {
    if (strip === 0) {
      // beyond R, by Marsaglia's exponential method: x = -ln(u1) / R, kept when -2 ln(u2) > x^2
      let x: number;
      let y: number;
      do {
        state = (state + STEP) | 0;
        x = -Math.log(uniformOf(mix(state))) / R;
        state = (state + STEP) | 0;
        y = -Math.log(uniformOf(mix(state)));
      } while (y + y < x * x);
      value = j > 0 ? R + x : -R - x;
      break;
    }
    // the wedge: keep the point when under the curve
    const x = j * w[strip];
    state = (state + STEP) | 0;
    if (f[strip] + uniformOf(mix(state)) * (f[strip - 1] - f[strip]) < Math.exp(-0.5 * x * x)) {
      value = x;
      break;
    }
    state = (state + STEP) | 0;
    const bits = mix(state);
    strip = bits & (STRIPS - 1);
    j = bits >> 7;
    if ((j < 0 ? -j : j) < k[strip]) {
      value = j * w[strip];
      break;
    }
  }
  slowState = state;
  return value;
}

/** N(0, std^2) numbers into `out`: fillStandardNormal's, each rounded to float32 and then scaled (what our WebAssembly computes too). */
export function fillNormal(out: Float32Array, seed: number, std: number): void {
  fillStandardNormal(out, seed);
  if (std !== 1) for (let i = 0; i < out.length; i++) out[i] *= std;
}

/**
 * The numbers at `indices` (in increasing order) that the common case left out, finished as
 * fillStandardNormal would have drawn them, scaled by `scale`: for ../wasm-heap-noise.ts,
 * whose WebAssembly does the common case.
 */
export function finishSlowDraws(out: Float32Array, indices: Int32Array, seed: number, scale: number): void {
  slowState = mix(seed ^ SLOW_STREAM);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    // the generator's state at number `index`: the seed stepped index + 1 times
    const bits = mix((seed + Math.imul(index + 1, STEP)) | 0);
    // rounded to float32, then scaled and rounded again (as the common case's numbers)
    out[index] = Math.fround(slowDraw(bits >> 7, bits & (STRIPS - 1))) * scale;
  }
}

/** The tables of the common case, for the WebAssembly: bounds k and widths w. */
export const zigguratTables = { bounds: k, widths: w };

/** The kernel that draws normalNoise's numbers on a backend where one is registered (../wasm-heap-noise.ts): attributes shape, std, seed. */
export const NORMAL_NOISE = 'GpNormalNoise';

/**
 * N(0, std^2) numbers of `shape` from `seed`, as a float32 tensor: a faster
 * tf.randomNormal(shape, 0, std, 'float32', seed), with other numbers, the same on every
 * backend (on WASM drawn on the heap by our kernel).
 */
export function normalNoise(shape: readonly number[], std: number, seed: number): tf.Tensor {
  if (tf.getKernel(NORMAL_NOISE, tf.getBackend())) return tf.engine().runKernel(NORMAL_NOISE, {}, { shape: [...shape], std, seed } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const values = new Float32Array(tf.util.sizeFromShape([...shape]));
  fillNormal(values, seed, std);
  return tf.tensor(values, [...shape], 'float32');
}
