/**
 * Winograd's F(4, 5) along a row product's columns (./winograd.ts), generated as code (see
 * encoder.ts) into the module of ./kernels.ts: four output columns of a five-tap filter row
 * from eight input columns d0..d7 take eight products, where F(2, 3) and F(2, 2) side by side
 * take fourteen (A. Lavin and S. Gray, "Fast Algorithms for Convolutional Neural Networks",
 * CVPR 2016, https://arxiv.org/abs/1509.09308). Its points are 0, 1, -1, 2, -2, 1/2, -1/2 and
 * infinity (Cook-Toom); Y = A^T [(G g) . (B^T d)], with B^T's rows 5 and 6 divided by 16 and
 * G's multiplied by 16 so that B^T holds small integers:
 *   B^T d:  V0 = 4 (d0 - d6) + 21 (d4 - d2)            V7 = 4 (d7 - d1) + 21 (d3 - d5)
 *           V1, V2 = a +- b,  a = 17 d4 - 4 (d2 + d6),  b = 17 d3 - 4 (d1 + d5)
 *           V3, V4 = a +- b,  a = d2 + 4 d6 - 5 d4,     b = 2 (d1 + 4 d5 - 5 d3)
 *           V5, V6 = a +- b,  a = 2 (4 d2 + d6 - 5 d4), b = 4 d1 + d5 - 5 d3      (quadInput)
 *   G g:    (./winograd-filters.ts, transformQuadFilter)
 *   A^T M:  with s_i = M_i + M_i+1 and t_i = M_i - M_i+1 (i = 1, 3, 5),
 *           y0 = M0 + s1 + s3 + s5,  y1 = t1 + 2 t3 + t5 / 2,
 *           y2 = s1 + 4 s3 + s5 / 4,  y3 = t1 + 8 t3 + t5 / 8 + M7                 (quadOutput)
 * The filter gradient goes the other way (its transpose): with the output gradient's columns
 * e0..e3 of a tile, E = A e (quadGradientColumns), the sums P_i = V_i^T E_i, and dW = G^T P.
 * Every output still reads only its own window's columns (A^T's and B^T's zeros), so a
 * masked filter's causality holds even in rounding. Float32 error is larger than F(2, 3)'s
 * (eight points, not four; the tests' bound is the same 2e-6 of the largest value).
 */
import { FunctionWriter } from './encoder';
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

/**
 * For `tiles` tiles t, the columns d_j = image + (4t + j) columnBytes (j = 0..7) into
 * V_i + t columnBytes: B^T d above. columnBytes a multiple of 16.
 */
export function quadInput(): FunctionWriter {
  const f = new FunctionWriter('quadInput', ['image', 'rowBytes', 'v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'tiles']);
  for (const local of ['at', 'end', 'offset', 'pointer']) f.local('i32', local);
  const d = Array.from({ length: 8 }, (_, j) => f.local('v128', `d${j}`));
  const [a, b] = [f.local('v128', 'a'), f.local('v128', 'b')];
  const constants = splattedConstants(f, [2, 4, 5, 17, 21]);
  const store = (v: number, body: () => void) => {
    f.get(`v${v}`).get('offset').op('i32.add');
    body();
    f.memory('v128.store');
  };
  // V_i, V_i+1 = a + b, a - b
  const pair = (i: number, aTerms: Term[], bTerms: Term[], bScale = 1, aScale = 1) => {
    combination(f, constants, aTerms);
    if (aScale !== 1) f.get(constants.get(aScale) as number).simd('f32x4.mul');
    f.set(a);
    combination(f, constants, bTerms);
    if (bScale !== 1) f.get(constants.get(bScale) as number).simd('f32x4.mul');
    f.set(b);
    store(i, () => f.get(a).get(b).simd('f32x4.add'));
    store(i + 1, () => f.get(a).get(b).simd('f32x4.sub'));
  };
  overTileRows(
    f,
    'image',
    () => {
      loadColumns(f, 'at', d);
      store(0, () => combination(f, constants, [[4, d[0]], [-4, d[6]], [21, d[4]], [-21, d[2]]]));
      pair(1, [[17, d[4]], [-4, d[2]], [-4, d[6]]], [[17, d[3]], [-4, d[1]], [-4, d[5]]]);
      pair(3, [[1, d[2]], [4, d[6]], [-5, d[4]]], [[1, d[1]], [4, d[5]], [-5, d[3]]], 2);
      pair(5, [[4, d[2]], [1, d[6]], [-5, d[4]]], [[4, d[1]], [1, d[5]], [-5, d[3]]], 1, 2);
      store(7, () => combination(f, constants, [[4, d[7]], [-4, d[1]], [21, d[3]], [-21, d[5]]]));
    },
    4,
  );
  return f;
}

/**
 * For `tiles` tiles t, from M_i + t rowBytes (i = 0..7): A^T M above, y_j into the column at
 * out + t outStride + j rowBytes (j = 0..3).
 */
export function quadOutput(): FunctionWriter {
  const f = new FunctionWriter('quadOutput', ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'rowBytes', 'out', 'outStride', 'tiles']);
  for (const local of ['offset', 'end', 'row', 'pointer']) f.local('i32', local);
  const m = Array.from({ length: 8 }, (_, i) => f.local('v128', `product${i}`));
  const [s1, t1, s3, t3, s5, t5] = ['s1', 't1', 's3', 't3', 's5', 't5'].map((name) => f.local('v128', name));
  const constants = splattedConstants(f, [2, 4, 8, 0.5, 0.25, 0.125]);
  // y_j one column after y_j-1
  const store = (j: number, terms: Term[]) => {
    if (j === 0) f.get('row').tee('pointer');
    else f.get('pointer').get('rowBytes').op('i32.add').tee('pointer');
    combination(f, constants, terms);
    f.memory('v128.store');
  };
  overOutputRows(f, () => {
    m.forEach((local, i) => f.get(`m${i}`).get('offset').op('i32.add').memory('v128.load').set(local));
    for (const [i, s, t] of [[1, s1, t1], [3, s3, t3], [5, s5, t5]]) {
      f.get(m[i]).get(m[i + 1]).simd('f32x4.add').set(s);
      f.get(m[i]).get(m[i + 1]).simd('f32x4.sub').set(t);
    }
    store(0, [[1, m[0]], [1, s1], [1, s3], [1, s5]]);
    store(1, [[1, t1], [2, t3], [0.5, t5]]);
    store(2, [[1, s1], [4, s3], [0.25, s5]]);
    store(3, [[1, t1], [8, t3], [0.125, t5], [1, m[7]]]);
  });
  return f;
}

/**
 * For `tiles` tiles t, the output gradient's columns e_j = dy + (4t + j) rowBytes (j = 0..3)
 * into E_i + t rowBytes: E = A e, the transpose of quadOutput:
 *   E0 = e0,  E1, E2 = (e0 + e2) +- (e1 + e3),  E3, E4 = (e0 + 4 e2) +- (2 e1 + 8 e3),
 *   E5, E6 = (e0 + e2 / 4) +- (e1 / 2 + e3 / 8),  E7 = e3.
 */
export function quadGradientColumns(): FunctionWriter {
  const f = new FunctionWriter('quadGradientColumns', ['dy', 'rowBytes', 'e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'tiles']);
  for (const local of ['at', 'end', 'offset', 'pointer']) f.local('i32', local);
  const e = Array.from({ length: 4 }, (_, j) => f.local('v128', `gradient${j}`));
  const [a, b] = [f.local('v128', 'a'), f.local('v128', 'b')];
  const constants = splattedConstants(f, [2, 4, 8, 0.5, 0.25, 0.125]);
  const store = (i: number, body: () => void) => {
    f.get(`e${i}`).get('offset').op('i32.add');
    body();
    f.memory('v128.store');
  };
  const pair = (i: number, aTerms: Term[], bTerms: Term[]) => {
    combination(f, constants, aTerms);
    f.set(a);
    combination(f, constants, bTerms);
    f.set(b);
    store(i, () => f.get(a).get(b).simd('f32x4.add'));
    store(i + 1, () => f.get(a).get(b).simd('f32x4.sub'));
  };
  overTileRows(
    f,
    'dy',
    () => {
      loadColumns(f, 'at', e);
      store(0, () => f.get(e[0]));
      pair(1, [[1, e[0]], [1, e[2]]], [[1, e[1]], [1, e[3]]]);
      pair(3, [[1, e[0]], [4, e[2]]], [[2, e[1]], [8, e[3]]]);
      pair(5, [[1, e[0]], [0.25, e[2]]], [[0.5, e[1]], [0.125, e[3]]]);
      store(7, () => f.get(e[3]));
    },
    4,
  );
  return f;
}
