/**
 * Winograd's F(4, 3) and F(4, 5) along a row product's columns (./winograd.ts) and, the same
 * kernels over whole rows, along the rows (./winograd-quad-rows.ts; the input transform there
 * in variants that read an image's rows where they lie, quadInputRows and quadInputTile), generated as
 * code (see encoder.ts) into the module of ./kernels.ts: four output columns of a filter row's
 * r taps from r + 3 input columns take r + 3 products, where F(2, 3) takes 8 (three taps) and
 * F(2, 3) and F(2, 2) side by side take 14 (five) (A. Lavin and S. Gray, "Fast Algorithms for
 * Convolutional Neural Networks", CVPR 2016, https://arxiv.org/abs/1509.09308). Their points
 * are 0, 1, -1, 2, -2 (and for five taps 1/2, -1/2) and infinity (Cook-Toom);
 * Y = A^T [(G g) . (B^T d)]. B^T's rows are scaled (by 1/4, or -1) so that each takes as few
 * instructions as it can, y + c x being one (a fused multiply-add, with relaxed SIMD), and
 * G's rows (./winograd-filters.ts's QUAD_G, applied by quadFilterTransform below) the other
 * way, so each product V_i U_i is the same:
 *   F(4, 3), B^T d:  V0 = (d4 + 4 d0) - 5 d2,  V5 = (d5 + 4 d1) - 5 d3,
 *           V1, V2 = a +- b,  a = d2 - d4 / 4,  b = d1 - d3 / 4,
 *           V3, V4 = a +- 2 b,  a = d4 - d2,  b = d3 - d1                              (quadInput3)
 *   F(4, 5), B^T d:  V0 = (d0 - d6) + 21/4 (d4 - d2),  V7 = (d7 - d1) + 21/4 (d3 - d5),
 *           V1, V2 = a +- b,  a = (d2 + d6) - 17/4 d4,  b = (d1 + d5) - 17/4 d3,
 *           V3, V4 = a +- 2 b,  a = (d2 + 4 d6) - 5 d4,  b = (d1 + 4 d5) - 5 d3,
 *           V5, V6 = b +- 2 a,  a = (d6 + 4 d2) - 5 d4,  b = (d5 + 4 d1) - 5 d3           (quadInput5)
 *   A^T M, with s_i = M_i + M_i+1 and t_i = M_i - M_i+1 (i = 1, 3, and for five taps 5), and
 *   the last product M_last (M5 or M7):
 *           y0 = M0 + s1 + s3 (+ s5),  y1 = t1 + 2 t3 (+ t5 / 2),
 *           y2 = s1 + 4 s3 (+ s5 / 4),  y3 = t1 + 8 t3 (+ t5 / 8) + M_last            (quadOutput)
 * With relaxed SIMD F(4, 5)'s B^T d takes 24 vector operations a column, not the 48 of the
 * integer rows it had before (2026-12-02), F(4, 3)'s 12, not 19, and A^T M 16 and 10, not 22
 * and 13 (without it, each fused one is a product and a sum: 38, 19, 22, 13). The transforms
 * take a third of a 16-channel layer's pass, and they are bound by instructions, not memory
 * (as fast on columns that fit the first-level cache as on those that do not): with the fused
 * operations a 16-channel 5x5 layer's passes took 0.91-0.97x the time, a 3x3 one's
 * 0.98-1.0x (in one process, by turns).
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

/**
 * A linear combination of v128 locals: a local, the sum or difference of two combinations,
 * c x, or y + c x and y - c x, which with relaxed SIMD are one fused multiply-add each.
 */
type Linear = number | { sum: [Linear, Linear] } | { difference: [Linear, Linear] } | { y?: Linear; c: number; x: Linear; minus?: boolean };

const sum = (a: Linear, b: Linear): Linear => ({ sum: [a, b] });
const difference = (a: Linear, b: Linear): Linear => ({ difference: [a, b] });
/** c x */
const times = (c: number, x: Linear): Linear => ({ c, x });
/** y + c x */
const plusTimes = (y: Linear, c: number, x: Linear): Linear => ({ y, c, x });
/** y - c x */
const minusTimes = (y: Linear, c: number, x: Linear): Linear => ({ y, c, x, minus: true });

/**
 * Writes combinations onto the stack of `f`: y +- c x as f32x4.relaxed_madd (x c + y) or
 * relaxed_nmadd (-(x c) + y) if `fused`, else a product and a sum; each constant other than 1
 * a splatted local, set before the kernel's loops. (V8 rebuilds such a splat at each use in
 * the loop, two to four instructions; read from a v128 global instead, the kernels ran no
 * faster.)
 */
class CombinationWriter {
  private readonly constants: Map<number, number>;

  constructor(
    private readonly f: FunctionWriter,
    readonly fused: boolean,
    values: number[],
  ) {
    this.constants = new Map(
      values.map((value) => {
        const local = f.local('v128');
        f.f32(value).simd('f32x4.splat').set(local);
        return [value, local];
      }),
    );
  }

  push(e: Linear): void {
    const f = this.f;
    if (typeof e === 'number') f.get(e);
    else if ('sum' in e) this.binary(e.sum, 'f32x4.add');
    else if ('difference' in e) this.binary(e.difference, 'f32x4.sub');
    else if (e.y === undefined) this.scaled(e.c, e.x);
    else if (e.c === 1) this.binary([e.y, e.x], e.minus ? 'f32x4.sub' : 'f32x4.add');
    else if (this.fused) {
      this.push(e.x);
      f.get(this.constant(e.c));
      this.push(e.y);
      f.simd(e.minus ? 'f32x4.relaxed_nmadd' : 'f32x4.relaxed_madd');
    } else {
      this.push(e.y);
      this.scaled(e.c, e.x);
      f.simd(e.minus ? 'f32x4.sub' : 'f32x4.add');
    }
  }

  set(local: number, e: Linear): void {
    this.push(e);
    this.f.set(local);
  }

  private binary([a, b]: [Linear, Linear], op: 'f32x4.add' | 'f32x4.sub'): void {
    this.push(a);
    this.push(b);
    this.f.simd(op);
  }

  private scaled(c: number, x: Linear): void {
    this.push(x);
    if (c !== 1) this.f.get(this.constant(c)).simd('f32x4.mul');
  }

  private constant(value: number): number {
    const local = this.constants.get(value);
    if (local === undefined) throw new Error(`no constant ${value} in ${this.f.name}`);
    return local;
  }
}

/** Loads the vectors at `from`, from + rowBytes, ... into `locals`, stepping the i32 local `pointer`. */
function loadColumns(f: FunctionWriter, from: string, locals: number[]): void {
  f.get(from).tee('pointer').memory('v128.load').set(locals[0]);
  for (const local of locals.slice(1)) f.get('pointer').get('rowBytes').op('i32.add').tee('pointer').memory('v128.load').set(local);
}

/** The filter rows these kernels take: three taps (F(4, 3)) or five (F(4, 5)). */
export type QuadTaps = 3 | 5;

/**
 * How a transform kernel stores its planes V_i (or E_i): V_i + offset = a combination; and
 * pairs of them, V_i, V_i+1 = a +- b, or y +- c x (two fused multiply-adds, or c x once and
 * a sum and a difference), each operand put in a local first.
 */
function planeStores(f: FunctionWriter, w: CombinationWriter) {
  const fused = w.fused;
  const [a, b, product] = [f.local('v128', 'a'), f.local('v128', 'b'), f.local('v128', 'product')];
  const store = (i: number, e: Linear) => {
    f.get(`v${i}`).get('offset').op('i32.add');
    w.push(e);
    f.memory('v128.store');
  };
  return {
    store,
    /** V_i, V_i+1 = a + b, a - b */
    sumPair(i: number, ea: Linear, eb: Linear): void {
      w.set(a, ea);
      w.set(b, eb);
      store(i, sum(a, b));
      store(i + 1, difference(a, b));
    },
    /** V_i, V_i+1 = y + c x, y - c x */
    aroundPair(i: number, ey: Linear, c: number, ex: Linear): void {
      w.set(a, ey);
      w.set(b, ex);
      if (!fused) w.set(product, times(c, b));
      store(i, fused ? plusTimes(a, c, b) : sum(a, product));
      store(i + 1, fused ? minusTimes(a, c, b) : difference(a, product));
    },
  };
}

/**
 * What the input transforms share: B^T d above (`transform`), of one vector of each column d_j
 * (in the v128 locals `d`), stored at V_i + offset; and for the rows' variants `row`: the
 * parameter `before` bytes of zeros into every plane, the run from `at` (set first) for
 * runBytes, each vector loaded by `load` and transformed, stepping the locals at and offset,
 * then `after` bytes of zeros.
 */
function inputWriter(taps: QuadTaps, fused: boolean, name: string, params: string[]) {
  const planes = taps + 3;
  const f = new FunctionWriter(name, params);
  for (const local of ['at', 'end', 'offset']) f.local('i32', local);
  const d = Array.from({ length: planes }, (_, j) => f.local('v128', `d${j}`));
  const w = new CombinationWriter(f, fused, taps === 3 ? [0.25, 2, 4, 5] : [2, 4, 4.25, 5, 5.25]);
  const { store, sumPair, aroundPair } = planeStores(f, w);
  const transform = () => {
    if (taps === 3) {
      store(0, minusTimes(plusTimes(d[4], 4, d[0]), 5, d[2]));
      sumPair(1, minusTimes(d[2], 0.25, d[4]), minusTimes(d[1], 0.25, d[3]));
      aroundPair(3, difference(d[4], d[2]), 2, difference(d[3], d[1]));
      store(5, minusTimes(plusTimes(d[5], 4, d[1]), 5, d[3]));
      return;
    }
    // (y + 4 x) - 5 z: the shape of V3..V6's halves
    const fourFive = (y: number, x: number, z: number) => minusTimes(plusTimes(d[y], 4, d[x]), 5, d[z]);
    store(0, plusTimes(difference(d[0], d[6]), 5.25, difference(d[4], d[2])));
    sumPair(1, minusTimes(sum(d[2], d[6]), 4.25, d[4]), minusTimes(sum(d[1], d[5]), 4.25, d[3]));
    aroundPair(3, fourFive(2, 6, 4), 2, fourFive(1, 5, 3));
    aroundPair(5, fourFive(5, 1, 3), 2, fourFive(6, 2, 4));
    store(7, plusTimes(difference(d[7], d[1]), 5.25, difference(d[3], d[5])));
  };
  const zerosInto = (bytes: string) => {
    f.get('offset').get(bytes).op('i32.add').set('end');
    f.whileLoop(() => f.get('offset').get('end').op('i32.lt_u'), () => {
      for (let i = 0; i < planes; i++) f.get(`v${i}`).get('offset').op('i32.add').zeroVector().memory('v128.store');
      f.get('offset').i32(16).op('i32.add').set('offset');
    });
  };
  const row = (load: () => void) => {
    zerosInto('before');
    f.get('at').get('runBytes').op('i32.add').set('end');
    f.whileLoop(() => f.get('at').get('end').op('i32.lt_u'), () => {
      load();
      transform();
      f.get('at').i32(16).op('i32.add').set('at');
      f.get('offset').i32(16).op('i32.add').set('offset');
    });
    zerosInto('after');
  };
  return { f, d, transform, row };
}

const planeNames = (planes: number, prefix: string) => Array.from({ length: planes }, (_, i) => `${prefix}${i}`);

/**
 * For `tiles` tiles t, the columns d_j = image + (4t + j) rowBytes (j < taps + 3) into
 * V_i + t rowBytes: B^T d above, rowBytes (a column's channels) a multiple of 16. With `rows`
 * (quadInputRows, ./winograd-quad-rows.ts), rowBytes is only the distance between an image's
 * rows: each tile's run of runBytes of them goes to V_i + t planeBytes + before, where V's row
 * is planeBytes = before + runBytes + after long and its `before` and `after` bytes are zeros
 * (a padded image's border columns), so that the transform reads an image's rows where they
 * lie instead of a padded copy. All multiples of 16.
 */
export function quadInput(taps: QuadTaps, fused: boolean, rows = false): FunctionWriter {
  const name = rows ? `quadInputRows${taps}` : `quadInput${taps}`;
  const { f, d, transform, row } = inputWriter(taps, fused, name, ['image', 'rowBytes', ...planeNames(taps + 3, 'v'), 'tiles', ...(rows ? ['runBytes', 'before', 'after'] : [])]);
  f.local('i32', 'pointer');
  const load = () => loadColumns(f, 'at', d);
  if (!rows) {
    overTileRows(f, 'image', () => {
      load();
      transform();
    }, 4);
    return f;
  }
  f.i32(0).set('offset');
  f.whileLoop(() => f.get('tiles'), () => {
    f.get('image').set('at');
    row(load);
    // the next tile starts four rows down
    f.get('image').get('rowBytes').i32(4).op('i32.mul').op('i32.add').set('image');
    f.get('tiles').i32(1).op('i32.sub').set('tiles');
  });
  return f;
}

/**
 * quadInputRows for one tile whose rows lie anywhere: d_j at row_j (j < taps + 3), runBytes of
 * each, into V_i + before, with the zeros before and after. Along the rows, a tile at an
 * image's top or bottom edge, its rows beyond the image a row of zeros (./winograd-quad-rows.ts).
 */
export function quadInputTile(taps: QuadTaps, fused: boolean): FunctionWriter {
  const planes = taps + 3;
  const { f, d, row } = inputWriter(taps, fused, `quadInputTile${taps}`, [...planeNames(planes, 'row'), ...planeNames(planes, 'v'), 'runBytes', 'before', 'after']);
  f.i32(0).set('offset');
  // `at` counts the run's bytes from each row's start
  f.i32(0).set('at');
  row(() => d.forEach((local, j) => f.get(`row${j}`).get('at').op('i32.add').memory('v128.load').set(local)));
  return f;
}

/**
 * For `tiles` tiles t, from M_i + t rowBytes (i < taps + 3): A^T M above, y_j into the column
 * (or, along the rows, the row) at out + t outStride + j rowBytes (j = 0..3), each max(0, .)
 * if relu.
 */
export function quadOutput(taps: QuadTaps, fused: boolean): FunctionWriter {
  const planes = taps + 3;
  const f = new FunctionWriter(`quadOutput${taps}`, [...planeNames(planes, 'm'), 'rowBytes', 'out', 'outStride', 'tiles', 'relu']);
  for (const local of ['offset', 'end', 'row', 'pointer']) f.local('i32', local);
  const m = Array.from({ length: planes }, (_, i) => f.local('v128', `product${i}`));
  // s_i, t_i for the pairs of points +-1, +-2 (and +-1/2)
  const pairs = [1, 3, 5].slice(0, taps === 3 ? 2 : 3).map((i) => ({ i, s: f.local('v128', `s${i}`), t: f.local('v128', `t${i}`) }));
  const w = new CombinationWriter(f, fused, [2, 4, 8, 0.5, 0.25, 0.125]);
  const y = f.local('v128', 'y');
  // y_j one column after y_j-1
  const store = (j: number, e: Linear) => {
    if (j === 0) f.get('row').tee('pointer');
    else f.get('pointer').get('rowBytes').op('i32.add').tee('pointer');
    w.set(y, e);
    f.get('relu').when(() => f.get(y).zeroVector().simd('f32x4.max').set(y));
    f.get(y).memory('v128.store');
  };
  // y_j = the sum over the pairs of point^j (s or t), the points 1, 2, 1/2
  const points = [1, 2, 0.5];
  overOutputRows(f, () => {
    m.forEach((local, i) => f.get(`m${i}`).get('offset').op('i32.add').memory('v128.load').set(local));
    for (const { i, s, t } of pairs) {
      w.set(s, sum(m[i], m[i + 1]));
      w.set(t, difference(m[i], m[i + 1]));
    }
    for (let j = 0; j < 4; j++) {
      const [first, ...others] = pairs.map(({ s, t }) => (j % 2 === 0 ? s : t));
      let e = others.reduce<Linear>((total, st, k) => plusTimes(total, points[k + 1] ** j, st), j === 0 ? sum(m[0], first) : first);
      if (j === 3) e = sum(e, m[planes - 1]);
      store(j, e);
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
export function quadGradientColumns(taps: QuadTaps, fused: boolean): FunctionWriter {
  const planes = taps + 3;
  const f = new FunctionWriter(`quadGradientColumns${taps}`, ['dy', 'rowBytes', ...planeNames(planes, 'v'), 'tiles']);
  for (const local of ['at', 'end', 'offset', 'pointer']) f.local('i32', local);
  const e = Array.from({ length: 4 }, (_, j) => f.local('v128', `gradient${j}`));
  const w = new CombinationWriter(f, fused, [2, 4, 8, 0.5, 0.25, 0.125]);
  const { store, sumPair } = planeStores(f, w);
  overTileRows(
    f,
    'dy',
    () => {
      loadColumns(f, 'at', e);
      store(0, e[0]);
      sumPair(1, sum(e[0], e[2]), sum(e[1], e[3]));
      sumPair(3, plusTimes(e[0], 4, e[2]), plusTimes(times(2, e[1]), 8, e[3]));
      if (taps === 5) sumPair(5, plusTimes(e[0], 0.25, e[2]), plusTimes(times(0.5, e[1]), 0.125, e[3]));
      store(planes - 1, e[3]);
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
