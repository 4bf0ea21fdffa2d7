/**
 * Row kernels, written for the 256-way softmax of PixelCNN's and PixelRNN's 8-bit values,
 * generated as code (see encoder.ts) into the module of ./kernels.ts, and used by ../wasm-heap-rows.ts:
 * - maxRows: the maximum of each row, as TF.js's Max gives it;
 * - oneHotDifference: the softmax cross-entropy gradient of each row in one pass;
 * - softmaxRows: each row's softmax, and what its cross-entropy needs, in one pass.
 */
import { FunctionWriter } from './encoder';
import { exponentialOf, exponentialScratch, splatConstants } from './exp-kernels';

/** Leaves on the stack the f32 `join` of the four lanes of vector `v`: (v0 join v1) join (v2 join v3). */
function across(f: FunctionWriter, v: number, join: 'f32.max' | 'f32.add'): FunctionWriter {
  return f.get(v).extractLane(0).get(v).extractLane(1).op(join).get(v).extractLane(2).get(v).extractLane(3).op(join).op(join);
}

/**
 * out[r] = max_c source[r, c] over `rows` rows of `columns` floats (columns >= 1): four
 * running maxima (every fourth number) in SIMD lanes, then joined. A NaN anywhere in a row
 * is its maximum, as in TF.js's kernel; max is exact, so the order does not matter, except
 * for the sign of a zero maximum: TF.js keeps the row's first zero, and so, looking again
 * at such (rare) rows, do we.
 */
export function maxRows(): FunctionWriter {
  const f = new FunctionWriter('maxRows', ['source', 'rows', 'columns', 'out']);
  for (const local of ['j', 'at', 'rowStart']) f.local('i32', local);
  const [acc, best] = [f.local('v128', 'acc'), f.local('f32', 'best')];
  // Four vectors of running maxima on long rows: x86 takes several dependent instructions for
  // one WebAssembly max (its NaN and zero rules), so one chain of them would set the pace.
  const chains = [acc, f.local('v128'), f.local('v128'), f.local('v128')];
  const step = (bytes: number) => f.get('at').i32(bytes).op('i32.add').set('at');
  const count = (n: number) => f.get('j').i32(n).op('i32.add').set('j');
  const atLeast = (n: number) => f.get('columns').get('j').op('i32.sub').i32(n).op('i32.ge_u');
  f.get('source').set('at');
  f.whileLoop(() => f.get('rows'), () => {
    f.get('at').set('rowStart');
    f.get('columns').i32(4).op('i32.ge_u').ifElse(() => {
      f.i32(0).set('j');
      atLeast(16).ifElse(() => {
        chains.forEach((chain, v) => f.get('at').memory('v128.load', 16 * v).set(chain));
        step(64);
        count(16);
        f.whileLoop(() => atLeast(16), () => {
          chains.forEach((chain, v) => f.get(chain).get('at').memory('v128.load', 16 * v).simd('f32x4.max').set(chain));
          step(64);
          count(16);
        });
        f.get(chains[0]).get(chains[1]).simd('f32x4.max').get(chains[2]).get(chains[3]).simd('f32x4.max').simd('f32x4.max').set(acc);
      }, () => {
        f.get('at').memory('v128.load').set(acc);
        step(16);
        count(4);
      });
      f.whileLoop(() => atLeast(4), () => {
        f.get(acc).get('at').memory('v128.load').simd('f32x4.max').set(acc);
        step(16);
        count(4);
      });
      // max is exact and NaN wins either way, so the lanes' order does not matter
      across(f, acc, 'f32.max').set(best);
    }, () => {
      f.get('at').f32Load().set(best);
      f.i32(1).set('j');
      step(4);
    });
    f.whileLoop(() => f.get('j').get('columns').op('i32.lt_u'), () => {
      f.get(best).get('at').f32Load().op('f32.max').set(best);
      step(4);
      count(1);
    });
    // a zero maximum (+0 or -0): the row's first zero, sign and all
    f.get(best).f32(0).op('f32.eq').when(() => {
      f.whileLoop(() => f.get('rowStart').f32Load().f32(0).op('f32.ne'), () => f.get('rowStart').i32(4).op('i32.add').set('rowStart'));
      f.get('rowStart').f32Load().set(best);
    });
    f.get('out').get(best).f32Store();
    f.get('out').i32(4).op('i32.add').set('out');
    f.get('rows').i32(1).op('i32.sub').set('rows');
  });
  return f;
}

/**
 * The gradient of softmax cross-entropy for `rows` rows of `columns` probabilities p, each
 * row's value v (int32) and upstream gradient g: out[r, c] = (p[r, c] - [c = v[r]]) * g[r],
 * in one pass where TF.js's composition (a one-hot, its cast, a subtraction, a broadcast
 * product) makes four. The same float32 operations, so the same numbers: p - 0 is p.
 */
export function oneHotDifference(): FunctionWriter {
  const f = new FunctionWriter('oneHotDifference', ['p', 'values', 'gradients', 'out', 'rows', 'columns']);
  for (const local of ['j', 'value', 'back']) f.local('i32', local);
  const [scale, g] = [f.local('v128', 'scale'), f.local('f32', 'g')];
  f.whileLoop(() => f.get('rows'), () => {
    f.get('gradients').f32Load().tee(g).simd('f32x4.splat').set(scale);
    f.i32(0).set('j');
    f.whileLoop(() => f.get('columns').get('j').op('i32.sub').i32(4).op('i32.ge_u'), () => {
      f.get('out').get('p').memory('v128.load').get(scale).simd('f32x4.mul').memory('v128.store');
      for (const pointer of ['p', 'out']) f.get(pointer).i32(16).op('i32.add').set(pointer);
      f.get('j').i32(4).op('i32.add').set('j');
    });
    f.whileLoop(() => f.get('j').get('columns').op('i32.lt_u'), () => {
      f.get('out').get('p').f32Load().get(g).op('f32.mul').f32Store();
      for (const pointer of ['p', 'out']) f.get(pointer).i32(4).op('i32.add').set(pointer);
      f.get('j').i32(1).op('i32.add').set('j');
    });
    // the row's own value, within range: (p - 1) * g in place of p * g, `back` bytes behind p and out (now one row on)
    f.get('values').i32Load().tee('value').get('columns').op('i32.lt_u').when(() => {
      f.get('columns').get('value').op('i32.sub').i32(2).op('i32.shl').set('back');
      f.get('out').get('back').op('i32.sub').get('p').get('back').op('i32.sub').f32Load().f32(1).op('f32.sub').get(g).op('f32.mul').f32Store();
    });
    for (const pointer of ['values', 'gradients']) f.get(pointer).i32(4).op('i32.add').set(pointer);
    f.get('rows').i32(1).op('i32.sub').set('rows');
  });
  return f;
}

/** Vectors of a row taken side by side in softmaxRows (the maxima's four chains join as four). */
const SOFTMAX_UNROLL = 4;

/**
 * For `rows` rows of `columns` logits l (columns a multiple of 16), each row's value v
 * (int32): p[r, c] = exp(l[r, c] - m) / s with m = max_c l[r, c] and s = sum_c exp(l[r, c] -
 * m), and what the cross-entropy -log p[r, v] = (m - l[r, v]) + log s needs: offsets[r] =
 * m - l[r, v] (0 for a value out of range) and sums[r] = s (at least 1, the maximum's own
 * term). One read of the row from memory, where TF.js's softmax, two maxima and a gather read
 * it four times; the exponential is ./exp-kernels.ts's (within 2 units in the last place),
 * and p is scaled by 1 / s (a multiplication: division took a few ms more on PixelCNN's
 * rows), so p is TF.js's softmax to within a few units in the last place, not bit for bit.
 * Four vectors a turn, as Swish's kernel takes them: each exponential is a long chain.
 * `fused`: the exponential with relaxed SIMD's multiply-add (exponentialOf), within the same
 * bounds; on PixelCNN's rows of 256 it took 0.79x of the plain variant's time (1.02 ns a
 * number against 1.30, both variants by turns in one process).
 */
export function softmaxRows(fused = false): FunctionWriter {
  const f = new FunctionWriter('softmaxRows', ['logits', 'values', 'p', 'offsets', 'sums', 'rows', 'columns']);
  for (const local of ['j', 'value']) f.local('i32', local);
  const c = splatConstants(f);
  const [maximum, scale, best, total, offset] = [f.local('v128', 'maximum'), f.local('v128', 'scale'), f.local('f32', 'best'), f.local('f32', 'total'), f.local('f32', 'offset')];
  const lanes = Array.from({ length: SOFTMAX_UNROLL }, (_, u) => ({ z: f.local('v128', `z${u}`), sum: f.local('v128', `sum${u}`), scratch: exponentialScratch(f, String(u)) }));
  const [first] = lanes;
  /** `body` for each run of SOFTMAX_UNROLL vectors of a row, j its byte offset. */
  const overRow = (body: () => void) => {
    f.i32(0).set('j');
    f.whileLoop(() => f.get('j').get('columns').op('i32.lt_u'), () => {
      body();
      f.get('j').i32(16 * SOFTMAX_UNROLL).op('i32.add').set('j');
    });
  };
  /** The address of byte j of the row at `pointer`. */
  const at = (pointer: string) => f.get(pointer).get('j').op('i32.add');
  f.get('columns').i32(2).op('i32.shl').set('columns'); // in bytes from here on
  f.whileLoop(() => f.get('rows'), () => {
    // m: four running maxima (pmax is one instruction; a NaN logit makes its row's p NaN below anyway)
    lanes.forEach(({ z }, u) => f.get('logits').memory('v128.load', 16 * u).set(z));
    overRow(() => lanes.forEach(({ z }, u) => f.get(z).get('logits').get('j').op('i32.add').memory('v128.load', 16 * u).simd('f32x4.pmax').set(z)));
    f.get(lanes[0].z).get(lanes[1].z).simd('f32x4.pmax').get(lanes[2].z).get(lanes[3].z).simd('f32x4.pmax').simd('f32x4.pmax').set(maximum);
    across(f, maximum, 'f32.max').tee(best).simd('f32x4.splat').set(maximum);
    // p = exp(l - m), not yet divided, and its sum in four vectors of running sums
    lanes.forEach(({ sum }) => f.zeroVector().set(sum));
    overRow(() => {
      lanes.forEach(({ z, scratch }, u) => {
        at('logits').memory('v128.load', 16 * u).get(maximum).simd('f32x4.sub').set(z);
        exponentialOf(f, c, z, scratch, fused);
        f.set(z);
      });
      lanes.forEach(({ z, sum }, u) => {
        at('p').get(z).memory('v128.store', 16 * u);
        f.get(sum).get(z).simd('f32x4.add').set(sum);
      });
    });
    f.get(lanes[0].sum).get(lanes[1].sum).simd('f32x4.add').get(lanes[2].sum).get(lanes[3].sum).simd('f32x4.add').simd('f32x4.add').set(first.sum);
    across(f, first.sum, 'f32.add').set(total);
    f.f32(1).get(total).op('f32.div').simd('f32x4.splat').set(scale);
    // p times 1 / s
    overRow(() => lanes.forEach((_, u) => {
      at('p');
      at('p').memory('v128.load', 16 * u).get(scale).simd('f32x4.mul');
      f.memory('v128.store', 16 * u);
    }));
    f.get('sums').get(total).f32Store();
    // m - l[v], for a value in range
    f.f32(0).set(offset);
    f.get('values').i32Load().tee('value').get('columns').i32(2).op('i32.shr_u').op('i32.lt_u').when(() => {
      f.get(best).get('logits').get('value').i32(2).op('i32.shl').op('i32.add').f32Load().op('f32.sub').set(offset);
    });
    f.get('offsets').get(offset).f32Store();
    f.get('logits').get('columns').op('i32.add').set('logits');
    f.get('p').get('columns').op('i32.add').set('p');
    for (const pointer of ['values', 'offsets', 'sums']) f.get(pointer).i32(4).op('i32.add').set(pointer);
    f.get('rows').i32(1).op('i32.sub').set('rows');
  });
  return f;
}
