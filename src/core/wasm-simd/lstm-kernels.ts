/**
 * The LSTM cell of PixelRNN's layers (van den Oord et al. 2016, "Pixel Recurrent Neural
 * Networks", section 3.1, https://arxiv.org/abs/1601.06759; ../models/autoregressive/lstm-gates.ts),
 * one pass each way, generated as code (see encoder.ts) into the module of ./kernels.ts and
 * used by ../wasm-heap-lstm.ts. TF.js's ops take ten kernels forwards (a slice, a sigmoid, a
 * split, a slice, two tanh, three products, a sum) and about twenty back, each a pass over a
 * row's gates and a call with its bookkeeping, for every row of every layer.
 *
 * Gates are rows of 4U pre-activations, [o, f, i, g] in blocks of U (U a multiple of 4):
 * - lstmForward: o, f, i = sigmoid, g = tanh (our exponential, ./exp-kernels.ts), then
 *     c = f c' + i g,   h = o tanh(c)
 *   keeping the activations [o, f, i, g] and tanh(c) for the gradient;
 * - lstmGradient: from dh and dc (the next row's), with t = tanh(c),
 *     dc_total = dc + dh o (1 - t^2)
 *     d[o, f, i, g] = [dh t o (1 - o), dc_total c' f (1 - f), dc_total g i (1 - i), dc_total i (1 - g^2)]
 *     dc' = dc_total f
 *   (TF.js's gradients of sigmoid, dy y (1 - y), and of tanh, dy (1 - y^2)).
 */
import { blockRows } from './elementwise-kernels';
import { FunctionWriter } from './encoder';
import { sigmoidOf, sigmoidScratch, splatConstants, tanhOf, tanhScratch } from './exp-kernels';

/**
 * The loop over `rows` rows of `units` (U, a multiple of 4) units (blockRows): the `wide`
 * pointers (gates, activations and their gradient) advance by 4U floats a row, the `narrow`
 * ones by U.
 */
function perUnit(f: FunctionWriter, wide: string[], narrow: string[], body: (u: number) => void, unroll = 1): void {
  // past the f, i and g blocks of the row
  blockRows(f, { rows: 'rows', width: 'units', wide, narrow, pastRow: () => void f.get('blockBytes').i32(3).op('i32.mul'), body, unroll });
}

/** A vector of gate block n (0 o, 1 f, 2 i, 3 g) at wide pointer `pointer`, `offset` bytes on, onto the stack. */
const loadGate = (f: FunctionWriter, pointer: string, n: number, offset = 0) => {
  f.get(pointer);
  if (n > 0) f.get('blockBytes').i32(n).op('i32.mul').op('i32.add');
  return f.memory('v128.load', offset);
};

/** Stores the vector in local `value` at gate block n of wide pointer `pointer`, `offset` bytes on. */
const storeGate = (f: FunctionWriter, pointer: string, n: number, value: number, offset = 0) => {
  f.get(pointer);
  if (n > 0) f.get('blockBytes').i32(n).op('i32.mul').op('i32.add');
  f.get(value).memory('v128.store', offset);
};

/**
 * lstmForward(gates, previous, h, c, act, tanhC, rows, units): the cell's forward pass (above);
 * `previous` c' [rows, U]. `unroll` vectors of units a turn: each sigmoid and tanh is a long
 * chain of dependent operations, and more side by side keep the processor busy. `fused`: their
 * exponentials with relaxed SIMD's multiply-add (exp-kernels.ts).
 */
export function lstmForward(fused = false, unroll = 2): FunctionWriter {
  const f = new FunctionWriter('lstmForward', ['gates', 'previous', 'h', 'c', 'act', 'tanhC', 'rows', 'units']);
  f.local('i32', 'j');
  f.local('i32', 'blockBytes');
  f.get('units').i32(2).op('i32.shl').set('blockBytes');
  const k = splatConstants(f);
  const lanes = Array.from({ length: unroll }, (_, u) => {
    const [z, o, forget, input, g, cell, t] = ['zIn', 'o', 'forget', 'input', 'g', 'cell', 't'].map((name) => f.local('v128', `${name}${u}`));
    return { z, o, forget, input, g, cell, t, sigmoid: sigmoidScratch(f, `Lstm${u}`), tanh: tanhScratch(f, `Lstm${u}`) };
  });
  perUnit(f, ['gates', 'act'], ['previous', 'h', 'c', 'tanhC'], (u) => {
    const { z, o, forget, input, g, cell, t, sigmoid, tanh } = lanes[u];
    const offset = 16 * u;
    ([[0, o], [1, forget], [2, input]] as const).forEach(([n, out]) => {
      loadGate(f, 'gates', n, offset).set(z);
      sigmoidOf(f, k, z, sigmoid, fused).set(out);
      storeGate(f, 'act', n, out, offset);
    });
    loadGate(f, 'gates', 3, offset).set(z);
    tanhOf(f, k, z, tanh, fused).set(g);
    storeGate(f, 'act', 3, g, offset);
    // c = f c' + i g
    f.get(forget).get('previous').memory('v128.load', offset).simd('f32x4.mul').get(input).get(g).simd('f32x4.mul').simd('f32x4.add').set(cell);
    f.get('c').get(cell).memory('v128.store', offset);
    tanhOf(f, k, cell, tanh, fused).set(t);
    f.get('tanhC').get(t).memory('v128.store', offset);
    // h = o tanh(c)
    f.get('h').get(o).get(t).simd('f32x4.mul').memory('v128.store', offset);
  }, unroll);
  return f;
}

/** lstmGradient(dh, dc, act, tanhC, previous, dGates, dPrevious, rows, units): the cell's gradient (above). */
export function lstmGradient(): FunctionWriter {
  const f = new FunctionWriter('lstmGradient', ['dh', 'dc', 'act', 'tanhC', 'previous', 'dGates', 'dPrevious', 'rows', 'units']);
  f.local('i32', 'j');
  f.local('i32', 'blockBytes');
  f.get('units').i32(2).op('i32.shl').set('blockBytes');
  const one = f.local('v128', 'ones');
  f.f32(1).simd('f32x4.splat').set(one);
  const [dh, dCell, t, o, forget, input, g, out] = ['dhVector', 'dCell', 't', 'o', 'forget', 'input', 'g', 'out'].map((name) => f.local('v128', name));
  /** y (1 - y) for the vector in local y, onto the stack: a sigmoid's slope. */
  const sigmoidSlope = (y: number) => f.get(y).get(one).get(y).simd('f32x4.sub').simd('f32x4.mul');
  perUnit(f, ['act', 'dGates'], ['dh', 'dc', 'tanhC', 'previous', 'dPrevious'], () => {
    f.get('dh').memory('v128.load').set(dh);
    f.get('tanhC').memory('v128.load').set(t);
    ([[0, o], [1, forget], [2, input], [3, g]] as const).forEach(([n, local]) => loadGate(f, 'act', n).set(local));
    // dc_total = dc + dh o (1 - t^2)
    f.get('dc').memory('v128.load').get(dh).get(o).simd('f32x4.mul').get(one).get(t).get(t).simd('f32x4.mul').simd('f32x4.sub').simd('f32x4.mul').simd('f32x4.add').set(dCell);
    // do = dh t o (1 - o)
    f.get(dh).get(t).simd('f32x4.mul');
    sigmoidSlope(o).simd('f32x4.mul').set(out);
    storeGate(f, 'dGates', 0, out);
    // df = dc_total c' f (1 - f)
    f.get(dCell).get('previous').memory('v128.load').simd('f32x4.mul');
    sigmoidSlope(forget).simd('f32x4.mul').set(out);
    storeGate(f, 'dGates', 1, out);
    // di = dc_total g i (1 - i)
    f.get(dCell).get(g).simd('f32x4.mul');
    sigmoidSlope(input).simd('f32x4.mul').set(out);
    storeGate(f, 'dGates', 2, out);
    // dg = dc_total i (1 - g^2)
    f.get(dCell).get(input).simd('f32x4.mul').get(one).get(g).get(g).simd('f32x4.mul').simd('f32x4.sub').simd('f32x4.mul').set(out);
    storeGate(f, 'dGates', 3, out);
    // dc' = dc_total f
    f.get('dPrevious').get(dCell).get(forget).simd('f32x4.mul').memory('v128.store');
  });
  return f;
}
