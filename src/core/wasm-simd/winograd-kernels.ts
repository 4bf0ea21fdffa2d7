/**
 * The two transforms of a Winograd convolution along image rows, F(2, 3), generated as code
 * (see encoder.ts) into the module of ./kernels.ts and used by ./winograd.ts. For a filter
 * three rows high, two output rows y0, y1 from four input rows d0..d3 (each a run of pixels'
 * channels) take four row products, not six (S. Winograd 1980; A. Lavin and S. Gray, "Fast
 * Algorithms for Convolutional Neural Networks", CVPR 2016, https://arxiv.org/abs/1509.09308):
 *   V0 = d0 - d2,  V1 = d1 + d2,  V2 = d2 - d1,  V3 = d1 - d3          (winogradInput)
 *   M_i = V_i * U_i, each a one-row convolution by the filter's rows transformed:
 *   U0 = g0,  U1 = (g0 + g1 + g2) / 2,  U2 = (g0 - g1 + g2) / 2,  U3 = g2
 *   y0 = M0 + M1 + M2,  y1 = M1 - M2 - M3                              (winogradOutput)
 * The filter gradient goes the other way (its transpose): with the output gradient's rows
 * e0, e1 of a tile, E0 = e0, E1 = e0 + e1, E2 = e0 - e1, E3 = e1 (winogradGradientRows), the
 * sums over tiles P_i = V_i^T E_i (one-row filter gradients), and dW's rows from them.
 */
import { FunctionWriter } from './encoder';

/** v = max(0, v) when the kernel's `relu` parameter is set. */
function clipIfRelu(f: FunctionWriter, v: number): void {
  f.get('relu').when(() => f.get(v).zeroVector().simd('f32x4.max').set(v));
}

/**
 * The loop over `tiles` tiles of `step` rows from `base` (rowBytes apart) and, within a tile,
 * over a row's vectors: `body` at each, with the locals at (the vector in the tile's first row)
 * and offset (bytes from the first tile's first vector, for rows written one per tile).
 */
export function overTileRows(f: FunctionWriter, base: string, body: () => void, step = 2): void {
  f.i32(0).set('offset');
  f.whileLoop(() => f.get('tiles'), () => {
    f.get(base).set('at');
    f.get(base).get('rowBytes').op('i32.add').set('end');
    f.whileLoop(() => f.get('at').get('end').op('i32.lt_u'), () => {
      body();
      f.get('at').i32(16).op('i32.add').set('at');
      f.get('offset').i32(16).op('i32.add').set('offset');
    });
    // the next tile starts `step` rows down
    f.get(base).get('rowBytes').i32(step).op('i32.mul').op('i32.add').set(base);
    f.get('tiles').i32(1).op('i32.sub').set('tiles');
  });
}

/**
 * For `tiles` tiles t, the rows d_j = image + (2t + j) rowBytes (j = 0..3) into
 * V_i + t rowBytes: the four transformed rows above. rowBytes a multiple of 16.
 */
export function winogradInput(): FunctionWriter {
  const f = new FunctionWriter('winogradInput', ['image', 'rowBytes', 'v0', 'v1', 'v2', 'v3', 'tiles']);
  for (const local of ['at', 'end', 'offset']) f.local('i32', local);
  const [d0, d1, d2, d3] = ['d0', 'd1', 'd2', 'd3'].map((name) => f.local('v128', name));
  overTileRows(f, 'image', () => {
    [d0, d1, d2, d3].forEach((d, j) => {
      f.get('at');
      for (let k = 0; k < j; k++) f.get('rowBytes').op('i32.add');
      f.memory('v128.load').set(d);
    });
    const store = (v: string, a: number, b: number, op: 'f32x4.add' | 'f32x4.sub') => {
      f.get(v).get('offset').op('i32.add').get(a).get(b).simd(op).memory('v128.store');
    };
    store('v0', d0, d2, 'f32x4.sub');
    store('v1', d1, d2, 'f32x4.add');
    store('v2', d2, d1, 'f32x4.sub');
    store('v3', d1, d3, 'f32x4.sub');
  });
  return f;
}

/**
 * The loop over `tiles` tiles of M rows (rowBytes each, one after the other) and the output
 * rows they make (from `out`, outStride apart): `body` at each vector, with the locals offset
 * (into the M rows) and row (the vector in the tile's first output row).
 */
export function overOutputRows(f: FunctionWriter, body: () => void): void {
  f.i32(0).set('offset');
  f.whileLoop(() => f.get('tiles'), () => {
    f.get('offset').get('rowBytes').op('i32.add').set('end');
    f.get('out').set('row');
    f.whileLoop(() => f.get('offset').get('end').op('i32.lt_u'), () => {
      body();
      f.get('row').i32(16).op('i32.add').set('row');
      f.get('offset').i32(16).op('i32.add').set('offset');
    });
    f.get('out').get('outStride').op('i32.add').set('out');
    f.get('tiles').i32(1).op('i32.sub').set('tiles');
  });
}

/**
 * For `tiles` tiles t, from M_i + t rowBytes: y0 = (M0 + M1) + M2 into out + t outStride and,
 * if `odd`, y1 = (M1 - M2) - M3 into the row after it (rowBytes on), each max(0, .) if relu.
 */
export function winogradOutput(): FunctionWriter {
  const f = new FunctionWriter('winogradOutput', ['m0', 'm1', 'm2', 'm3', 'rowBytes', 'out', 'outStride', 'tiles', 'odd', 'relu']);
  for (const local of ['offset', 'end', 'row']) f.local('i32', local);
  const [a, b] = [f.local('v128', 'a'), f.local('v128', 'b')];
  const load = (m: string) => f.get(m).get('offset').op('i32.add').memory('v128.load');
  overOutputRows(f, () => {
    load('m1').set(b);
    load('m0').get(b).simd('f32x4.add');
    load('m2').simd('f32x4.add').set(a);
    clipIfRelu(f, a);
    f.get('row').get(a).memory('v128.store');
    f.get('odd').when(() => {
      f.get(b);
      load('m2').simd('f32x4.sub');
      load('m3').simd('f32x4.sub').set(a);
      clipIfRelu(f, a);
      f.get('row').get('rowBytes').op('i32.add').get(a).memory('v128.store');
    });
  });
  return f;
}

/**
 * For `tiles` tiles t, the output gradient's rows e0 = dy + 2t rowBytes and e1 after it
 * into E_i + t rowBytes: E0 = e0, E1 = e0 + e1, E2 = e0 - e1, E3 = e1. Without `pair` (an
 * odd last row), e1 is zero.
 */
export function winogradGradientRows(): FunctionWriter {
  const f = new FunctionWriter('winogradGradientRows', ['dy', 'rowBytes', 'e0', 'e1', 'e2', 'e3', 'tiles', 'pair']);
  for (const local of ['at', 'end', 'offset']) f.local('i32', local);
  const [a, b] = [f.local('v128', 'a'), f.local('v128', 'b')];
  overTileRows(f, 'dy', () => {
    f.get('at').memory('v128.load').set(a);
    f.get('pair').ifElse(() => f.get('at').get('rowBytes').op('i32.add').memory('v128.load').set(b), () => f.zeroVector().set(b));
    const store = (e: string, body: () => void) => {
      f.get(e).get('offset').op('i32.add');
      body();
      f.memory('v128.store');
    };
    store('e0', () => f.get(a));
    store('e1', () => f.get(a).get(b).simd('f32x4.add'));
    store('e2', () => f.get(a).get(b).simd('f32x4.sub'));
    store('e3', () => f.get(b));
  });
  return f;
}

/*
 * F(2, 2), for a filter's two rows that may be combined while a third is summed alone
 * (a masked convolution's rows above its centre row; ./winograd.ts, `loneRow`). Two output
 * rows from three input rows d0..d2:
 *   V0 = d0 - d1,  V1 = d1,  V2 = d2 - d1                             (winogradPairInput)
 *   U0 = g0,  U1 = g0 + g1,  U2 = g1
 *   y0 = M0 + M1,  y1 = M1 + M2                                        (winogradPairOutput)
 * Each output touches only its own window's rows, even in rounding: y0 reads d0 and d1,
 * never d2; y1 reads d1 and d2, never d0. So an output row never takes a value from a row
 * its window leaves out, which keeps a PixelCNN's causality exact.
 */

/** For `tiles` tiles t, the rows d_j = image + (2t + j) rowBytes (j = 0..2) into V_i + t rowBytes: V0 = d0 - d1, V1 = d1, V2 = d2 - d1. */
export function winogradPairInput(): FunctionWriter {
  const f = new FunctionWriter('winogradPairInput', ['image', 'rowBytes', 'v0', 'v1', 'v2', 'tiles']);
  for (const local of ['at', 'end', 'offset']) f.local('i32', local);
  const [d0, d1, d2] = ['d0', 'd1', 'd2'].map((name) => f.local('v128', name));
  overTileRows(f, 'image', () => {
    f.get('at').memory('v128.load').set(d0);
    f.get('at').get('rowBytes').op('i32.add').memory('v128.load').set(d1);
    f.get('at').get('rowBytes').op('i32.add').get('rowBytes').op('i32.add').memory('v128.load').set(d2);
    f.get('v0').get('offset').op('i32.add').get(d0).get(d1).simd('f32x4.sub').memory('v128.store');
    f.get('v1').get('offset').op('i32.add').get(d1).memory('v128.store');
    f.get('v2').get('offset').op('i32.add').get(d2).get(d1).simd('f32x4.sub').memory('v128.store');
  });
  return f;
}

/**
 * For `tiles` tiles t, from M_i + t rowBytes: y0 = M0 + M1 into the row at out + t outStride
 * and, if `odd`, y1 = M1 + M2 into the row after it (rowBytes on), each added to what the row
 * holds if `accumulate` (a lone row's sums and the bias), then max(0, .) if relu.
 */
export function winogradPairOutput(): FunctionWriter {
  const f = new FunctionWriter('winogradPairOutput', ['m0', 'm1', 'm2', 'rowBytes', 'out', 'outStride', 'tiles', 'odd', 'accumulate', 'relu']);
  for (const local of ['end', 'offset', 'row']) f.local('i32', local);
  const [a, b] = [f.local('v128', 'a'), f.local('v128', 'b')];
  const load = (m: string) => f.get(m).get('offset').op('i32.add').memory('v128.load');
  const addInto = (row: () => void) => {
    row();
    f.get('accumulate').when(() => {
      row();
      f.memory('v128.load').get(a).simd('f32x4.add').set(a);
    });
    clipIfRelu(f, a);
    f.get(a).memory('v128.store');
  };
  overOutputRows(f, () => {
    load('m1').set(b);
    load('m0').get(b).simd('f32x4.add').set(a);
    addInto(() => f.get('row'));
    f.get('odd').when(() => {
      f.get(b);
      load('m2').simd('f32x4.add').set(a);
      addInto(() => f.get('row').get('rowBytes').op('i32.add'));
    });
  });
  return f;
}
