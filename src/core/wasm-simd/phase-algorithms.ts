/**
 * One axis of a strided convolution as Winograd's minimal filtering, through its phases.
 *
 * Andrew Lavin and Scott Gray, "Fast Algorithms for Convolutional Neural Networks" (2016),
 * https://arxiv.org/abs/1509.09308, for F(m, r); the split of a strided convolution into
 * stride-1 convolutions of its even and odd pixels is the polyphase decomposition of signal
 * processing.
 *
 * Why: at stride 2 a 3x3 filter's taps 0 and 2 read the even pixels of the window and tap 1 the
 * odd ones, so along an axis y[o] = w0 e[o] + w2 e[o + 1] + w1 d[o]: a two-tap convolution of
 * the even pixels and a one-tap one of the odd. The two-tap one takes F(m, 2), m + 1 products
 * for m outputs, where it took 2m: along an axis 2.25 products an output in place of 3 (m = 4),
 * and in two dimensions, the axes' algorithms nested, about 0.56-0.64 of the products.
 *
 * An axis's algorithm is y[o] = sum over l of At[o, l] (G w)[l] (Bt x)[l], over L transformed
 * elements: each element is a sum of inputs (Bt's row), times a sum of taps (G's row), added
 * into outputs (At's column). Elements whose inputs all lie in the padding are left out: their
 * products are zero. Forwards x is the input and y the output; for the input gradient x is dY
 * and y is dX, the same taps turned (the transposed convolution's phases).
 */
import type { Axis } from './strided';

/** (index, coefficient) pairs: a sparse row. */
export type Terms = Array<[number, number]>;

/** One axis's algorithm: for each transformed element its inputs and taps, and for each output its elements. */
export interface AxisAlgorithm {
  length: number;
  inputs: Terms[];
  taps: Terms[];
  outputs: Terms[];
}

/**
 * A stride-1 piece of the pass: out[outputs[j]] += sum over q of w[taps[q]] x[sequence[j + q]],
 * sequence's entries the pass's input coordinates, null in the padding.
 */
interface Phase {
  outputs: number[];
  sequence: Array<number | null>;
  taps: number[];
}

/** Output coordinates per tile of a phase: F(4, r)'s transforms are small; larger tiles' points grow (2, -2, 1/2...) and lose precision. */
const TILE = 4;

/** The finite points of Toom-Cook's interpolation, in the order taken; infinity is always the last point. */
const POINTS = [0, 1, -1, 0.5, -0.5, 2, -2];

/** A small bilinear algorithm: y = At [(G g) * (Bt d)], Bt [elements, inputs], G [elements, taps], At [outputs, elements]. */
interface Transforms {
  bt: number[][];
  g: number[][];
  at: number[][];
}

/** Rows of the evaluation at each of `points` (and last at infinity, which takes the leading coefficient) of a polynomial with `size` coefficients. */
function evaluation(points: number[], size: number): number[][] {
  return [...points.map((p) => Array.from({ length: size }, (_, k) => p ** k)), Array.from({ length: size }, (_, k) => (k === size - 1 ? 1 : 0))];
}

/** The finite points for `count` evaluations (infinity the last). */
function pointsFor(count: number): number[] {
  if (count - 1 > POINTS.length) throw new Error(`${count} evaluations need more points than are listed`);
  return POINTS.slice(0, count - 1);
}

/**
 * Each of Bt's rows scaled to a largest entry of 1 and G's row by the inverse, so that the
 * inputs' sums stay at their own scale; float64's dust (entries under 1e-12 that are exactly 0)
 * cleared.
 */
function tidied({ bt, g, at }: Transforms): Transforms {
  const clean = (row: number[]) => row.map((v) => (Math.abs(v) < 1e-12 ? 0 : v));
  const scales = bt.map((row) => Math.max(...row.map(Math.abs)));
  return {
    bt: bt.map((row, l) => clean(row.map((v) => v / scales[l]))),
    g: g.map((row, l) => clean(row.map((v) => v * scales[l]))),
    at: at.map(clean),
  };
}

/**
 * F(m, r), y[j] = sum_q g[q] d[j + q] for j < m, by Toom-Cook over POINTS and infinity: the
 * transpose of the linear convolution c = a * g = V^-1 [(A_m a) * (A_r g)], so Bt = (V^-1)^T,
 * G = A_r and At = A_m^T.
 */
export function minimalFiltering(m: number, r: number): Transforms {
  const alpha = m + r - 1;
  const points = pointsFor(alpha);
  const inverse = invert(evaluation(points, alpha));
  const am = evaluation(points, m);
  return tidied({
    bt: inverse[0].map((_, l) => inverse.map((row) => row[l])),
    g: evaluation(points, r),
    at: Array.from({ length: m }, (_, j) => am.map((row) => row[j])),
  });
}

/**
 * The same correlation where its window's first and last r - 1 inputs are padding (zeros): y is
 * then the linear convolution of the k = m - r + 1 inputs between with the taps turned, m
 * numbers, which Toom-Cook makes from m products where F(m, r) takes m + r - 1:
 * Bt = A_k over the inner inputs, G = A_r of the turned taps, At = V^-1. The energy model's last
 * layer (7 x 7 -> 4 x 4) has such windows: along an axis its even pixels' window runs from
 * the padding before the image to the padding after it.
 */
export function paddedFiltering(m: number, r: number): Transforms {
  const k = m - r + 1;
  const points = pointsFor(m);
  const ar = evaluation(points, r);
  return tidied({
    bt: evaluation(points, k),
    g: ar.map((row) => [...row].reverse()),
    at: invert(evaluation(points, m)),
  });
}

/** The inverse of a small square matrix, by Gauss-Jordan elimination with partial pivoting (float64). */
function invert(matrix: number[][]): number[][] {
  const n = matrix.length;
  const rows = matrix.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let column = 0; column < n; column++) {
    let pivot = column;
    for (let i = column + 1; i < n; i++) if (Math.abs(rows[i][column]) > Math.abs(rows[pivot][column])) pivot = i;
    [rows[column], rows[pivot]] = [rows[pivot], rows[column]];
    const lead = rows[column][column];
    rows[column] = rows[column].map((v) => v / lead);
    for (let i = 0; i < n; i++) {
      if (i === column || rows[i][column] === 0) continue;
      const factor = rows[i][column];
      rows[i] = rows[i].map((v, j) => v - factor * rows[column][j]);
    }
  }
  return rows.map((row) => row.slice(n));
}

const inside = (coordinate: number, size: number) => (coordinate >= 0 && coordinate < size ? coordinate : null);

/** Forwards: taps t = r, r + s, ... read the pixels x[k s - p + r], a stride-1 convolution of that phase's sequence. */
function forwardPhases(a: Axis): Phase[] {
  const phases: Phase[] = [];
  for (let r = 0; r < Math.min(a.stride, a.filter); r++) {
    const taps: number[] = [];
    for (let t = r; t < a.filter; t += a.stride) taps.push(t);
    const outputs = Array.from({ length: a.output }, (_, o) => o);
    const sequence = Array.from({ length: a.output + taps.length - 1 }, (_, k) => inside(k * a.stride - a.pad + r, a.input));
    phases.push({ outputs, sequence, taps });
  }
  return phases;
}

/**
 * The input gradient: dX[i] takes the taps t = (i + p) mod s + q s, each from dY[J - q] with
 * J = (i + p - t0) / s; as a correlation, its taps turned: dX[i] = sum over q of
 * w[taps[n - 1 - q]] dY[J - n + 1 + q].
 */
function gradientPhases(a: Axis): Phase[] {
  const phases: Phase[] = [];
  for (let rho = 0; rho < Math.min(a.stride, a.filter); rho++) {
    const taps: number[] = [];
    for (let t = rho; t < a.filter; t += a.stride) taps.push(t);
    const outputs: number[] = [];
    const firsts: number[] = [];
    for (let i = 0; i < a.input; i++) {
      if ((((i + a.pad) % a.stride) + a.stride) % a.stride !== rho) continue;
      outputs.push(i);
      firsts.push((i + a.pad - rho) / a.stride - taps.length + 1);
    }
    if (outputs.length === 0) continue;
    const sequence = Array.from({ length: outputs.length + taps.length - 1 }, (_, k) => inside(firsts[0] + k, a.output));
    phases.push({ outputs, sequence, taps: [...taps].reverse() });
  }
  return phases;
}

/** The phases of a pass along one axis, each by F(m, n) over tiles of TILE outputs (one-tap phases element by element), as one algorithm. */
export function axisAlgorithm(a: Axis, pass: 'forward' | 'input gradient'): AxisAlgorithm {
  const algorithm: AxisAlgorithm = { length: 0, inputs: [], taps: [], outputs: Array.from({ length: pass === 'forward' ? a.output : a.input }, () => []) };
  for (const phase of pass === 'forward' ? forwardPhases(a) : gradientPhases(a)) {
    const n = phase.taps.length;
    for (let first = 0; first < phase.outputs.length; first += TILE) {
      const m = Math.min(TILE, phase.outputs.length - first);
      const window = phase.sequence.slice(first, first + m + n - 1);
      // a window padded at both ends by n - 1 (and something between): the linear convolution of what lies between
      const padded = n > 1 && m > n - 1 && [...window.slice(0, n - 1), ...window.slice(m)].every((c) => c === null);
      const { bt, g, at } = n === 1 ? identity(m) : padded ? paddedFiltering(m, n) : minimalFiltering(m, n);
      const inputsAt = padded ? window.slice(n - 1, m) : window;
      bt.forEach((row, l) => {
        const inputs: Terms = [];
        row.forEach((coefficient, k) => {
          const coordinate = inputsAt[k];
          if (coefficient !== 0 && coordinate !== null) inputs.push([coordinate, coefficient]);
        });
        const outputs = at.map((column, j) => [j, column[l]]).filter(([, c]) => c !== 0);
        if (inputs.length === 0 || outputs.length === 0) return;
        const element = algorithm.length++;
        algorithm.inputs.push(inputs);
        algorithm.taps.push(g[l].map((c, q): [number, number] => [phase.taps[q], c]).filter(([, c]) => c !== 0));
        for (const [j, c] of outputs) algorithm.outputs[phase.outputs[first + j]].push([element, c]);
      });
    }
  }
  return algorithm;
}

/** F(m, 1): each output its own product. */
function identity(m: number): Transforms {
  const unit = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => (i === j ? 1 : 0)));
  return { bt: unit, g: unit.map(() => [1]), at: unit };
}
