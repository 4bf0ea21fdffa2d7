/**
 * The ziggurat's common case in WebAssembly (../normal-noise.ts has the method and the rest):
 * for each number, mulberry32's next 32 bits, a strip and a signed magnitude, and when the
 * magnitude is under the strip's bound, the number itself, scaled. The 3% that need more (a
 * wedge or the tail, with exp and log) are listed for JavaScript to finish, in order. The same
 * integer and float64 operations as the JavaScript, so the same float32 numbers. Used by
 * ../wasm-heap-noise.ts.
 */
import { FunctionWriter } from './encoder';

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
  f.whileLoop(() => f.get('index').get('count').op('i32.lt_u'), () => {
    // mulberry32: state += 0x6d2b79f5; t = imul(t ^ t >>> 15, t | 1); t ^= t + imul(t ^ t >>> 7, t | 61); bits = t ^ t >>> 14
    f.get('state').i32(0x6d2b79f5).op('i32.add').tee('state').set('t');
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
