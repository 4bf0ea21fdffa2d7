/**
 * The ziggurat's common case in WebAssembly (../normal-noise.ts has the method and the rest):
 * for each number, mulberry32's next 32 bits, a strip and a signed magnitude, and when the
 * magnitude is under the strip's bound, the number itself, scaled. The 3% that need more (a
 * wedge or the tail, with exp and log) are listed for JavaScript to finish, in order. The same
 * integer and float64 operations as the JavaScript, so the same float32 numbers. Used by
 * ../wasm-heap-noise.ts.
 *
 * Four numbers at a time (inFours): each lane's draw depends only on its index, so four
 * counters step together; the tables are read lane by lane. 50,176 numbers (a Langevin step's)
 * in 106-107 microseconds against 118 one at a time (0.90-0.91x, by turns in one process on the
 * AMD EPYC).
 */
import { FunctionWriter } from './encoder';

/** mulberry32's counter steps by this odd constant (../normal-noise.ts). */
const STEP = 0x6d2b79f5;

/** Byte offsets in the tables block: 128 int32 bounds, 128 float64 widths, then the float64 scale. */
export const NOISE_TABLES = { bounds: 0, widths: 128 * 4, scale: 128 * 4 + 128 * 8, bytes: 128 * 4 + 128 * 8 + 8 } as const;

/**
 * normalFast(out, count, state, tables, slow): out[i] = f32(f32(j w[strip]) scale) for the
 * numbers of the common case; slow[0] = how many others, slow[1...] their indices.
 * `state` is the generator's state before the first number (its seed).
 */
export function normalFast(): FunctionWriter {
  const f = new FunctionWriter('normalFast', ['out', 'count', 'state', 'tables', 'slow']);
  for (const local of ['index', 't', 'bits', 'strip', 'j', 'slowCount']) f.local('i32', local);
  const scale = f.local('f64', 'scaleValue');
  f.get('tables').f64Load(NOISE_TABLES.scale).set(scale);
  inFours(f, scale);
  // the rest one at a time, from the state after the numbers drawn: the seed stepped `index` times
  f.get('state').get('index').i32(STEP).op('i32.mul').op('i32.add').set('state');
  f.whileLoop(() => f.get('index').get('count').op('i32.lt_u'), () => {
    // mulberry32: state += STEP; t = imul(t ^ t >>> 15, t | 1); t ^= t + imul(t ^ t >>> 7, t | 61); bits = t ^ t >>> 14
    f.get('state').i32(STEP).op('i32.add').tee('state').set('t');
    f.get('t').get('t').i32(15).op('i32.shr_u').op('i32.xor').get('t').i32(1).op('i32.or').op('i32.mul').set('t');
    f.get('t').get('t').get('t').get('t').i32(7).op('i32.shr_u').op('i32.xor').get('t').i32(61).op('i32.or').op('i32.mul').op('i32.add').op('i32.xor').set('t');
    f.get('t').get('t').i32(14).op('i32.shr_u').op('i32.xor').set('bits');
    f.get('bits').i32(127).op('i32.and').set('strip');
    f.get('bits').i32(7).op('i32.shr_s').set('j');
    // |j| < bounds[strip]: |j| as select(-j, j, j < 0)
    f.i32(0).get('j').op('i32.sub').get('j').get('j').i32(0).op('i32.lt_s').op('select');
    f.get('tables').get('strip').i32(2).op('i32.shl').op('i32.add').i32Load(NOISE_TABLES.bounds).op('i32.lt_s');
    f.ifElse(() => {
      // out[index] = f32(f64(f32(j * widths[strip])) * scale)
      f.get('out').get('index').i32(2).op('i32.shl').op('i32.add');
      f.get('j').op('f64.convert_i32_s').get('tables').get('strip').i32(3).op('i32.shl').op('i32.add').f64Load(NOISE_TABLES.widths).op('f64.mul');
      f.op('f32.demote_f64').op('f64.promote_f32').get(scale).op('f64.mul').op('f32.demote_f64').f32Store();
    }, () => {
      f.get('slowCount').i32(1).op('i32.add').tee('slowCount');
      f.i32(2).op('i32.shl').get('slow').op('i32.add').get('index').i32Store();
    });
    f.get('index').i32(1).op('i32.add').set('index');
  });
  f.get('slow').get('slowCount').i32Store();
  return f;
}

/**
 * normalFast's numbers four at a time while four remain, from `index` 0: the same integer and
 * float64 operations lane by lane (mulberry32 on four counters, the strips' bounds and widths
 * loaded lane by lane, j w and the scale two lanes at a time in float64), so the same float32
 * numbers; the lanes past the common case are listed in order, their numbers left for
 * JavaScript to write. Leaves `index` at the first number not drawn.
 */
function inFours(f: FunctionWriter, scale: number): void {
  const [states, t, bits, strips, j, bounds, wLow, wHigh, low, high] = ['states', 'tV', 'bitsV', 'stripsV', 'jV', 'boundsV', 'wLow', 'wHigh', 'low', 'high'].map((name) => f.local('v128', name));
  const [one, sixtyOne, lastStrip, turn, scales] = ['oneV', 'sixtyOneV', 'lastStripV', 'turnV', 'scalesV'].map((name) => f.local('v128', name));
  const [boundsHigh] = ['boundsHigh'].map((name) => f.local('v128', name));
  const [mask, strip] = [f.local('i32', 'fastLanes'), f.local('i32', 'stripOfLane')];
  [[one, 1], [sixtyOne, 61], [lastStrip, 127], [turn, Math.imul(STEP, 4)]].forEach(([local, value]) => f.i32(value).simd('i32x4.splat').set(local));
  f.get(scale).simd('f64x2.splat').set(scales);
  // lane k's counter: the seed stepped k + 1 times; each turn steps all four by four
  f.get('state').i32(STEP).op('i32.add').simd('i32x4.splat');
  for (let k = 1; k < 4; k++) f.get('state').i32(Math.imul(STEP, k + 1)).op('i32.add').replaceIntLane(k);
  f.set(states);
  /** Two lanes' f32(f64(f32(j w)) scale) from the f64x2 of j on the stack and their widths, into the low half of a vector. */
  const scaled = (widths: number) => f.get(widths).simd('f64x2.mul').simd('f32x4.demote_f64x2_zero').simd('f64x2.promote_low_f32x4').get(scales).simd('f64x2.mul').simd('f32x4.demote_f64x2_zero');
  f.whileLoop(() => f.get('count').get('index').op('i32.sub').i32(4).op('i32.ge_u'), () => {
    // mulberry32's output: t = imul(t ^ t >>> 15, t | 1); t ^= t + imul(t ^ t >>> 7, t | 61); bits = t ^ t >>> 14
    f.get(states).set(t);
    f.get(t).get(t).i32(15).simd('i32x4.shr_u').simd('v128.xor').get(t).get(one).simd('v128.or').simd('i32x4.mul').set(t);
    f.get(t).get(t).get(t).get(t).i32(7).simd('i32x4.shr_u').simd('v128.xor').get(t).get(sixtyOne).simd('v128.or').simd('i32x4.mul').simd('i32x4.add').simd('v128.xor').set(t);
    f.get(t).get(t).i32(14).simd('i32x4.shr_u').simd('v128.xor').tee(bits);
    f.get(lastStrip).simd('v128.and').set(strips);
    f.get(bits).i32(7).simd('i32x4.shr_s').set(j);
    // each lane's strip: its bound (int32) and width (float64) from the tables, lanes 0-1 and 2-3 apart (two short chains of loads, not one long one)
    for (let k = 0; k < 4; k++) {
      const [half, widths] = k < 2 ? [bounds, wLow] : [boundsHigh, wHigh];
      f.get('tables').get(strips).extractIntLane(k).tee(strip).i32(2).op('i32.shl').op('i32.add').get(half).loadLane(32, k, NOISE_TABLES.bounds).set(half);
      f.get('tables').get(strip).i32(3).op('i32.shl').op('i32.add').get(widths).loadLane(64, k % 2, NOISE_TABLES.widths).set(widths);
    }
    // the common case, |j| < bounds[strip], as four bits (all four: 15, the xor below 0)
    f.get(j).simd('i32x4.abs').get(bounds).get(boundsHigh).shuffle([0, 1, 2, 3, 4, 5, 6, 7, 24, 25, 26, 27, 28, 29, 30, 31]).simd('i32x4.lt_s').simd('i32x4.bitmask').set(mask);
    f.get(j).simd('f64x2.convert_low_i32x4_s');
    scaled(wLow).set(low);
    f.get(j).get(j).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]).simd('f64x2.convert_low_i32x4_s');
    scaled(wHigh).set(high);
    f.get('out').get('index').i32(2).op('i32.shl').op('i32.add');
    f.get(low).get(high).shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]).memory('v128.store');
    f.get(mask).i32(15).op('i32.xor').when(() => {
      for (let k = 0; k < 4; k++) {
        f.get(mask).i32(1 << k).op('i32.and').op('i32.eqz').when(() => {
          f.get('slowCount').i32(1).op('i32.add').tee('slowCount');
          f.i32(2).op('i32.shl').get('slow').op('i32.add').get('index').i32(k).op('i32.add').i32Store();
        });
      }
    });
    f.get(states).get(turn).simd('i32x4.add').set(states);
    f.get('index').i32(4).op('i32.add').set('index');
  });
}
