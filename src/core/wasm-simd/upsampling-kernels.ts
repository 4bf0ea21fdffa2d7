/**
 * Nearest upsampling by whole scales and its gradient, generated as code (see encoder.ts) into
 * the module of ./kernels.ts, for the decoders of conv-ae and the GAN's generator (two each a
 * step, both ways). Their rows run over images and input rows at once: `rows` is batch x the
 * input's height, and an input row's s output rows follow each other in the output.
 */
import { move } from './copy-kernels';
import { FunctionWriter } from './encoder';

/**
 * out[r * scaleH + p, j * scaleW + q] = in[r, j] (pixels of `pixelBytes` bytes, a multiple of
 * 4, any type): each output row written once from its input row, then copied scaleH - 1 times.
 */
export function upsampleNearest(): FunctionWriter {
  const f = new FunctionWriter('upsampleNearest', ['source', 'target', 'rows', 'width', 'pixelBytes', 'scaleH', 'scaleW']);
  for (const local of ['rowBytes', 'j', 'q', 'first']) f.local('i32', local);
  // bytes of an output row
  f.get('width').get('scaleW').op('i32.mul').get('pixelBytes').op('i32.mul').set('rowBytes');
  f.whileLoop(() => f.get('rows'), () => {
    f.get('target').set('first');
    f.get('width').set('j');
    f.whileLoop(() => f.get('j'), () => {
      // the pixel scaleW times
      f.get('scaleW').set('q');
      f.whileLoop(() => f.get('q'), () => {
        move(f, () => f.get('target'), () => f.get('source'), () => f.get('pixelBytes'));
        f.get('target').get('pixelBytes').op('i32.add').set('target');
        f.get('q').i32(1).op('i32.sub').set('q');
      });
      f.get('source').get('pixelBytes').op('i32.add').set('source');
      f.get('j').i32(1).op('i32.sub').set('j');
    });
    // the row written, scaleH - 1 more times
    f.get('scaleH').i32(1).op('i32.sub').set('q');
    f.whileLoop(() => f.get('q'), () => {
      move(f, () => f.get('target'), () => f.get('first'), () => f.get('rowBytes'));
      f.get('target').get('rowBytes').op('i32.add').set('target');
      f.get('q').i32(1).op('i32.sub').set('q');
    });
    f.get('rows').i32(1).op('i32.sub').set('rows');
  });
  return f;
}

/**
 * The gradient of upsampleNearest on float32: each input pixel gets the sum of the
 * scaleH x scaleW block of dy it was copied to,
 *   dx[r, j, c] = sum over p < scaleH, q < scaleW of dy[r * scaleH + p, j * scaleW + q, c]
 * summed float32 by float32 in the block's row order (p, then q), four channels at a time
 * where `channels` allows, then one.
 */
export function upsampleGradient(): FunctionWriter {
  const f = new FunctionWriter('upsampleGradient', ['dy', 'dx', 'rows', 'width', 'channels', 'scaleH', 'scaleW']);
  for (const local of ['pixelBytes', 'dyRowBytes', 'block', 'j', 'c', 'p', 'q', 'at']) f.local('i32', local);
  const [vector, number] = [f.local('v128', 'vectorSum'), f.local('f32', 'numberSum')];
  f.get('channels').i32(2).op('i32.shl').set('pixelBytes');
  f.get('width').get('scaleW').op('i32.mul').get('pixelBytes').op('i32.mul').set('dyRowBytes');
  /** Over the block's dy pixels but its first, in row order, `add` with `at` at the pixel's bytes `c` on. */
  const restOfBlock = (add: () => void) => {
    f.i32(0).set('p');
    f.whileLoop(() => f.get('p').get('scaleH').op('i32.lt_u'), () => {
      f.i32(0).set('q');
      f.whileLoop(() => f.get('q').get('scaleW').op('i32.lt_u'), () => {
        f.get('p').get('q').op('i32.or').when(() => {
          f.get('block').get('p').get('dyRowBytes').op('i32.mul').op('i32.add').get('q').get('pixelBytes').op('i32.mul').op('i32.add').get('c').op('i32.add').set('at');
          add();
        });
        f.get('q').i32(1).op('i32.add').set('q');
      });
      f.get('p').i32(1).op('i32.add').set('p');
    });
  };
  f.whileLoop(() => f.get('rows'), () => {
    f.get('dy').set('block');
    f.get('width').set('j');
    f.whileLoop(() => f.get('j'), () => {
      f.i32(0).set('c');
      f.whileLoop(() => f.get('pixelBytes').get('c').i32(16).op('i32.add').op('i32.ge_u'), () => {
        f.get('block').get('c').op('i32.add').memory('v128.load').set(vector);
        restOfBlock(() => f.get(vector).get('at').memory('v128.load').simd('f32x4.add').set(vector));
        f.get('dx').get('c').op('i32.add').get(vector).memory('v128.store');
        f.get('c').i32(16).op('i32.add').set('c');
      });
      f.whileLoop(() => f.get('c').get('pixelBytes').op('i32.lt_u'), () => {
        f.get('block').get('c').op('i32.add').f32Load().set(number);
        restOfBlock(() => f.get(number).get('at').f32Load().op('f32.add').set(number));
        f.get('dx').get('c').op('i32.add').get(number).f32Store();
        f.get('c').i32(4).op('i32.add').set('c');
      });
      f.get('block').get('scaleW').get('pixelBytes').op('i32.mul').op('i32.add').set('block');
      f.get('dx').get('pixelBytes').op('i32.add').set('dx');
      f.get('j').i32(1).op('i32.sub').set('j');
    });
    f.get('dy').get('scaleH').get('dyRowBytes').op('i32.mul').op('i32.add').set('dy');
    f.get('rows').i32(1).op('i32.sub').set('rows');
  });
  return f;
}
