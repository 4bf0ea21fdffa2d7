/**
 * Winograd's F(4, 3) and F(4, 5) along a row product's columns (./winograd.ts) and, the same
 * kernels over whole padded rows, along the rows (./winograd-quad-rows.ts), generated as
 * code (see encoder.ts) into the module of ./kernels.ts: four output columns of a filter row's
 * r taps from r + 3 input columns take r + 3 products, where F(2, 3) takes 8 (three taps) and
 * F(2, 3) and F(2, 2) side by side take 14 (five) (A. Lavin and S. Gray, "Fast Algorithms for
 * Convolutional Neural Networks", CVPR 2016, https://arxiv.org/abs/1509.09308). Their points
 * are 0, 1, -1, 2, -2 (and for five taps 1/2, -1/2) and infinity (Cook-Toom);
 * Y = A^T [(G g) . (B^T d)], B^T's rows scaled so that they hold small integers, G's
 * (./winograd-filters.ts's QUAD_G, applied by quadFilterTransform below) the other way:
 *   F(4, 3), B^T d:  V0 = 4 d0 - 5 d2 + d4,  V5 = 4 d1 - 5 d3 + d5,
 *           V1, V2 = a +- b,  a = 4 d2 - d4,  b = 4 d1 - d3,
 *           V3, V4 = a +- b,  a = d4 - d2,    b = 2 (d3 - d1)                        (quadInput3)
 *   F(4, 5), B^T d:  V0 = 4 (d0 - d6) + 21 (d4 - d2),  V7 = 4 (d7 - d1) + 21 (d3 - d5),
 *           V1, V2 = a +- b,  a = 17 d4 - 4 (d2 + d6),  b = 17 d3 - 4 (d1 + d5),
 *           V3, V4 = a +- b,  a = d2 + 4 d6 - 5 d4,     b = 2 (d1 + 4 d5 - 5 d3),
 *           V5, V6 = a +- b,  a = 2 (4 d2 + d6 - 5 d4), b = 4 d1 + d5 - 5 d3         (quadInput5)
 *   A^T M, with s_i = M_i + M_i+1 and t_i = M_i - M_i+1 (i = 1, 3, and for five taps 5), and
 *   the last product M_last (M5 or M7):
 *           y0 = M0 + s1 + s3 (+ s5),  y1 = t1 + 2 t3 (+ t5 / 2),
 *           y2 = s1 + 4 s3 (+ s5 / 4),  y3 = t1 + 8 t3 (+ t5 / 8) + M_last            (quadOutput)
 * The filter gradient goes the other way (its transpose): with the output gradient's columns
 * e0..e3 of a tile, E = A e (quadGradientColumns), the sums P_i = V_i^T E_i, and dW = G^T P.
 * Unlike F(2, 3)'s, an output's sum passes through columns beyond its window (y0 takes every
 * plane, and the planes every column), whose weights cancel only up to rounding, a few
 * millionths: harmless in the rows a masked filter sees whole, never used for its centre row
 * (winograd.ts, `loneRow`), and left out of receptive fields (keepRowsApart). Float32 error is
 * larger than F(2, 3)'s too (six or eight points, not four): along the columns alone within
 * the tests' 2e-6 of the largest value; along both axes 4.5-16 times the direct sum's, held
 * to 1e-5 (tests/unit/wasm-simd-quad-rows.test.ts).
 */
import { LOW_HALVES, UPPER_HALF } from './elementwise-kernels';
import { FunctionWriter } from './encoder';
import { QUAD_G } from './winograd-filters';
import { overOutputRows, overTileRows } from './winograd-kernels';

/** A term of a linear combination: a coefficient and the vector local it multiplies. */
type Term = [number, number];

/**
 * Pushes the sum of `terms` (the first with a positive coefficient) onto the stack, each
 * coefficient other than 1 multiplying through a splatted constant, held in a local made once.
 */
function combination(f: FunctionWriter, constants: Map<number, number>, terms: Term[]): void {
  const scaled = ([coefficient, local]: Term) => {
    f.get(local);
    const magnitude = Math.abs(coefficient);
    if (magnitude === 1) return;
    if (!constants.has(magnitude)) throw new Error(`no constant ${magnitude}`);
    f.get(constants.get(magnitude) as number).simd('f32x4.mul');
  };
  scaled(terms[0]);
  for (const term of terms.slice(1)) {
    scaled(term);
    f.simd(term[0] > 0 ? 'f32x4.add' : 'f32x4.sub');
  }
}

/** Loads the vectors at `from`, from + rowBytes, ... into `locals`, stepping the i32 local `pointer`. */
function loadColumns(f: FunctionWriter, from: string, locals: number[]): void {
  f.get(from).tee('pointer').memory('v128.load').set(locals[0]);
  for (const local of locals.slice(1)) f.get('pointer').get('rowBytes').op('i32.add').tee('pointer').memory('v128.load').set(local);
}

/** A v128 local per constant, splatted before the kernel's loops. */
function splattedConstants(f: FunctionWriter, values: number[]): Map<number, number> {
  return new Map(
    values.map((value) => {
      const local = f.local('v128');
      f.f32(value).simd('f32x4.splat').set(local);
      return [value, local];
    }),
  );
}

/** The filter rows these kernels take: three taps (F(4, 3)) or five (F(4, 5)). */
export type QuadTaps = 3 | 5;

/** V_i + offset = the value `body` pushes. */
function storePlane(f: FunctionWriter, i: number, body: () => void): void {
  f.get(`v${i}`).get('offset').op('i32.add');
  body();
  f.memory('v128.store');
}

/** V_i, V_i+1 = a + b, a - b, each of a and b a combination (times `scale`, a constant's value, if not 1). */
function planePair(f: FunctionWriter, constants: Map<number, number>, locals: [number, number], i: number, [aTerms, aScale]: [Term[], number], [bTerms, bScale]: [Term[], number]): void {
  const [a, b] = locals;
  for (const [local, terms, scale] of [[a, aTerms, aScale], [b, bTerms, bScale]] as const) {
    combination(f, constants, terms);
    if (scale !== 1) f.get(constants.get(scale) as number).simd('f32x4.mul');
    f.set(local);
  }
  storePlane(f, i, () => f.get(a).get(b).simd('f32x4.add'));
  storePlane(f, i + 1, () => f.get(a).get(b).simd('f32x4.sub'));
}

/**
 * For `tiles` tiles t, the columns d_j = image + (4t + j) rowBytes (j < taps + 3) into
 * V_i + t rowBytes: B^T d above. rowBytes (a column's channels) a multiple of 16.
 */
export function quadInput(taps: QuadTaps): FunctionWriter {
  const planes = taps + 3;
  const f = new FunctionWriter(`quadInput${taps}`, ['image', 'rowBytes', ...Array.from({ length: planes }, (_, i) => `v${i}`), 'tiles']);
  for (const local of ['at', 'end', 'offset', 'pointer']) f.local('i32', local);
  const d = Array.from({ length: planes }, (_, j) => f.local('v128', `d${j}`));
  const locals: [number, number] = [f.local('v128', 'a'), f.local('v128', 'b')];
  const constants = splattedConstants(f, taps === 3 ? [2, 4, 5] : [2, 4, 5, 17, 21]);
  const pair = (i: number, a: [Term[], number], b: [Term[], number]) => planePair(f, constants, locals, i, a, b);
  const combined = (i: number, terms: Term[]) => storePlane(f, i, () => combination(f, constants, terms));
  overTileRows(
    f,
    'image',
    () => {
      loadColumns(f, 'at', d);
      if (taps === 3) {
        combined(0, [[4, d[0]], [-5, d[2]], [1, d[4]]]);
        pair(1, [[[4, d[2]], [-1, d[4]]], 1], [[[4, d[1]], [-1, d[3]]], 1]);
        pair(3, [[[1, d[4]], [-1, d[2]]], 1], [[[1, d[3]], [-1, d[1]]], 2]);
        combined(5, [[4, d[1]], [-5, d[3]], [1, d[5]]]);
        return;
      }
      combined(0, [[4, d[0]], [-4, d[6]], [21, d[4]], [-21, d[2]]]);
      pair(1, [[[17, d[4]], [-4, d[2]], [-4, d[6]]], 1], [[[17, d[3]], [-4, d[1]], [-4, d[5]]], 1]);
      pair(3, [[[1, d[2]], [4, d[6]], [-5, d[4]]], 1], [[[1, d[1]], [4, d[5]], [-5, d[3]]], 2]);
      pair(5, [[[4, d[2]], [1, d[6]], [-5, d[4]]], 2], [[[4, d[1]], [1, d[5]], [-5, d[3]]], 1]);
      combined(7, [[4, d[7]], [-4, d[1]], [21, d[3]], [-21, d[5]]]);
    },
    4,
  );
  return f;
}

/**
 * For `tiles` tiles t, from M_i + t rowBytes (i < taps + 3): A^T M above, y_j into the column
 * (or, along the rows, the row) at out + t outStride + j rowBytes (j = 0..3), each max(0, .)
 * if relu.
 */
export function quadOutput(taps: QuadTaps): FunctionWriter {
  const planes = taps + 3;
  const f = new FunctionWriter(`quadOutput${taps}`, [...Array.from({ length: planes }, (_, i) => `m${i}`), 'rowBytes', 'out', 'outStride', 'tiles', 'relu']);
  for (const local of ['offset', 'end', 'row', 'pointer']) f.local('i32', local);
  const m = Array.from({ length: planes }, (_, i) => f.local('v128', `product${i}`));
  // s_i, t_i for the pairs of points +-1, +-2 (and +-1/2)
  const pairs = [1, 3, 5].slice(0, taps === 3 ? 2 : 3).map((i) => ({ i, s: f.local('v128', `s${i}`), t: f.local('v128', `t${i}`) }));
  const constants = splattedConstants(f, [2, 4, 8, 0.5, 0.25, 0.125]);
  const y = f.local('v128', 'y');
  // y_j one column after y_j-1
  const store = (j: number, terms: Term[]) => {
    if (j === 0) f.get('row').tee('pointer');
    else f.get('pointer').get('rowBytes').op('i32.add').tee('pointer');
    combination(f, constants, terms);
    f.set(y);
    f.get('relu').when(() => f.get(y).zeroVector().simd('f32x4.max').set(y));
    f.get(y).memory('v128.store');
  };
  // y_j = sum over the pairs of (point^j) (s or t), point 1, 2, 1/2
  const weights = [1, 2, 0.5];
  overOutputRows(f, () => {
    m.forEach((local, i) => f.get(`m${i}`).get('offset').op('i32.add').memory('v128.load').set(local));
    for (const { i, s, t } of pairs) {
      f.get(m[i]).get(m[i + 1]).simd('f32x4.add').set(s);
      f.get(m[i]).get(m[i + 1]).simd('f32x4.sub').set(t);
    }
    for (let j = 0; j < 4; j++) {
      const terms: Term[] = pairs.map(({ s, t }, k) => [weights[k] ** j, j % 2 === 0 ? s : t]);
      if (j === 0) terms.unshift([1, m[0]]);
      if (j === 3) terms.push([1, m[planes - 1]]);
      store(j, terms);
    }
  });
  return f;
}

/**
 * For `tiles` tiles t, the output gradient's columns e_j = dy + (4t + j) rowBytes (j = 0..3)
 * into E_i + t rowBytes (i < taps + 3): E = A e, the transpose of quadOutput:
 *   E0 = e0,  E1, E2 = (e0 + e2) +- (e1 + e3),  E3, E4 = (e0 + 4 e2) +- (2 e1 + 8 e3),
 *   (E5, E6 = (e0 + e2 / 4) +- (e1 / 2 + e3 / 8)),  E_last = e3.
 */
export function quadGradientColumns(taps: QuadTaps): FunctionWriter {
  const planes = taps + 3;
  const f = new FunctionWriter(`quadGradientColumns${taps}`, ['dy', 'rowBytes', ...Array.from({ length: planes }, (_, i) => `v${i}`), 'tiles']);
  for (const local of ['at', 'end', 'offset', 'pointer']) f.local('i32', local);
  const e = Array.from({ length: 4 }, (_, j) => f.local('v128', `gradient${j}`));
  const locals: [number, number] = [f.local('v128', 'a'), f.local('v128', 'b')];
  const constants = splattedConstants(f, [2, 4, 8, 0.5, 0.25, 0.125]);
  const pair = (i: number, a: Term[], b: Term[]) => planePair(f, constants, locals, i, [a, 1], [b, 1]);
  overTileRows(
    f,
    'dy',
    () => {
      loadColumns(f, 'at', e);
      storePlane(f, 0, () => f.get(e[0]));
      pair(1, [[1, e[0]], [1, e[2]]], [[1, e[1]], [1, e[3]]]);
      pair(3, [[1, e[0]], [4, e[2]]], [[2, e[1]], [8, e[3]]]);
      if (taps === 5) pair(5, [[1, e[0]], [0.25, e[2]]], [[0.5, e[1]], [0.125, e[3]]]);
      storePlane(f, planes - 1, () => f.get(e[3]));
    },
    4,
  );
  return f;
}

/**
 * A filter row's column planes, U = G g (./winograd-filters.ts's QUAD_G), or with `transposed`
 * the taps' gradients from the planes' sums, dW = G^T P: row o of the output (at to + o size
 * floats) is the sum over j of M[o][j] times row j of the input (at from + j size floats), for
 * `size` floats (a multiple of 4, a tap's [Ci, Co]). Each sum is taken in float64 from 0, term
 * by term in j's order, and rounded to float32 once; a zero coefficient is skipped (times a
 * finite input it adds nothing; an infinite one, in weights that have diverged, would give NaN
 * there). In JavaScript these sums took 5-10 ns a number on this machine
 * (about 30 ms of a slow PixelCNN step); here four numbers at a time, two in each half.
 */
export function quadFilterTransform(taps: QuadTaps, transposed: boolean): FunctionWriter {
  const g = QUAD_G[taps];
  const matrix = transposed ? g[0].map((_, k) => g.map((row) => row[k])) : g;
  const f = new FunctionWriter(`quadFilter${transposed ? 'Gradient' : ''}${taps}`, ['from', 'size', 'to']);
  const offset = f.local('i32', 'offset');
  const [x, low, high] = [f.local('v128', 'x'), f.local('v128', 'low'), f.local('v128', 'high')];
  const rowBytes = f.local('i32', 'rowBytes');
  f.get('size').i32(2).op('i32.shl').set(rowBytes);
  matrix.forEach((coefficients, o) => {
    f.i32(0).set(offset);
    f.whileLoop(() => f.get(offset).get(rowBytes).op('i32.lt_u'), () => {
      f.zeroVector().set(low).zeroVector().set(high);
      coefficients.forEach((c, j) => {
        if (c === 0) return;
        // x = row j's four numbers: from + j rowBytes + offset
        f.get('from').get(offset).op('i32.add');
        if (j > 0) f.get(rowBytes).i32(j).op('i32.mul').op('i32.add');
        f.memory('v128.load').set(x);
        // each half's two numbers in float64: half += c x
        for (const [half, upper] of [[low, false], [high, true]] as const) {
          f.get(half);
          if (upper) f.get(x).get(x).shuffle(UPPER_HALF);
          else f.get(x);
          f.simd('f64x2.promote_low_f32x4').f64(c).simd('f64x2.splat').simd('f64x2.mul').simd('f64x2.add').set(half);
        }
      });
      // out row o's four numbers: to + o rowBytes + offset
      f.get('to').get(offset).op('i32.add');
      if (o > 0) f.get(rowBytes).i32(o).op('i32.mul').op('i32.add');
      f.get(low).simd('f32x4.demote_f64x2_zero').get(high).simd('f32x4.demote_f64x2_zero').shuffle(LOW_HALVES).memory('v128.store');
      f.get(offset).i32(16).op('i32.add').set(offset);
    });
  });
  return f;
}
