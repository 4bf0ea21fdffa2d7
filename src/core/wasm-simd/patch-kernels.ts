/**
 * The kernels that walk a convolution's patches, generated as code (see encoder.ts) into the
 * module of ./kernels.ts: im2col (the patches of a range of output pixels copied into matrix
 * rows), its adjoint col2im (the rows added back onto the pixels they came from), and patchDot
 * (a convolution with 1-3 output channels straight from the image).
 */
import { move } from './copy-kernels';
import { FunctionWriter } from './encoder';

/**
 * The parameters im2col and col2im share: a range of output pixels (rows of the matrix,
 * `first` to `first + rows`, counted over batch, output row and column) of a convolution of
 * a [batch, height, width, channels] input by a filterH x filterW filter. Matrix row r holds
 * the patch [filterH, filterW, channels] of output pixel first + r, colStride bytes apart.
 */
const PATCH_PARAMS = ['first', 'rows', 'height', 'width', 'channels', 'outH', 'outW', 'filterH', 'filterW', 'strideH', 'strideW', 'padTop', 'padLeft'] as const;

/**
 * The walk over patches that im2col and col2im share. For each matrix row and filter row,
 * `run` writes the code that moves one run, with these locals set: dst (the matrix row's
 * part for this filter row), iy (the image row, possibly outside the image), kx0 and kx1
 * (the filter columns that fall inside the image), imageRun and matrixRun (byte addresses
 * of filter column kx0 in the image and in the matrix). With `quad`, where the kernel's `quads`
 * parameter is set, four neighbouring pixels of one output row whose windows lie within the
 * image's columns go to `quad` at once instead, with the walk's locals set for the first
 * (left <= 0, so kx0 = 0 for all four).
 */
function patchWalk(name: string, run: (f: FunctionWriter) => void, extraParams: string[] = [], quad?: (f: FunctionWriter) => void): FunctionWriter {
  const f = new FunctionWriter(name, ['image', 'matrix', 'colStride', ...PATCH_PARAMS, ...extraParams]);
  for (const local of ['row', 'batch', 'oy', 'ox', 'ky', 'iy', 'kx0', 'kx1', 'left', 'dst', 'pixel', 'filterRow', 'imageRun', 'matrixRun', 'advance']) f.local('i32', local);
  // bytes of one pixel and of one filter row's patch
  f.get('channels').i32(2).op('i32.shl').set('pixel');
  f.get('filterW').get('pixel').op('i32.mul').set('filterRow');
  // (batch, oy, ox) of the first row
  f.get('first').get('outH').get('outW').op('i32.mul').op('i32.div_u').set('batch');
  f.get('first').get('outW').op('i32.div_u').get('outH').op('i32.rem_u').set('oy');
  f.get('first').get('outW').op('i32.rem_u').set('ox');
  f.i32(0).set('row');
  f.whileLoop(() => f.get('row').get('rows').op('i32.lt_u'), () => {
    f.get('matrix').get('row').get('colStride').op('i32.mul').op('i32.add').set('dst');
    // filter columns inside the image: ix = ox*s - padLeft + kx in [0, width)
    f.get('padLeft').get('ox').get('strideW').op('i32.mul').op('i32.sub').set('left');
    clamp(f, () => f.get('left'), () => f.i32(0), () => f.get('filterW')).set('kx0');
    clamp(f, () => f.get('width').get('left').op('i32.add'), () => f.get('kx0'), () => f.get('filterW')).set('kx1');
    const onePixel = () => {
      f.i32(0).set('ky');
      f.whileLoop(() => f.get('ky').get('filterH').op('i32.lt_u'), () => {
        f.get('oy').get('strideH').op('i32.mul').get('padTop').op('i32.sub').get('ky').op('i32.add').set('iy');
        // &image[batch, iy, ox*s - padLeft + kx0, 0] (not read when iy is outside)
        f.get('image').get('batch').get('height').op('i32.mul').get('iy').op('i32.add').get('width').op('i32.mul')
          .get('kx0').get('left').op('i32.sub').op('i32.add').get('pixel').op('i32.mul').op('i32.add').set('imageRun');
        f.get('dst').get('kx0').get('pixel').op('i32.mul').op('i32.add').set('matrixRun');
        run(f);
        f.get('dst').get('filterRow').op('i32.add').set('dst');
        f.get('ky').i32(1).op('i32.add').set('ky');
      });
      f.i32(1).set('advance');
    };
    if (!quad) onePixel();
    else {
      // four pixels of one output row whose windows all lie within the image's columns (kx0 = 0 for the first, kx1 = filterW for the last), where the kernel allows it
      f.get('quads').get('rows').get('row').op('i32.sub').i32(QUAD).op('i32.ge_u').op('i32.and')
        .get('left').i32(1).op('i32.lt_s').op('i32.and')
        .get('ox').i32(QUAD - 1).op('i32.add').get('outW').op('i32.lt_u').op('i32.and')
        .get('width').get('left').op('i32.add').get('strideW').i32(QUAD - 1).op('i32.mul').op('i32.sub').get('filterW').op('i32.ge_s').op('i32.and')
        .ifElse(() => {
          quad(f);
          f.i32(QUAD).set('advance');
        }, onePixel);
    }
    // next output pixel (or four)
    f.get('row').get('advance').op('i32.add').set('row');
    f.get('ox').get('advance').op('i32.add').tee('ox').get('outW').op('i32.ge_u').when(() => {
      f.i32(0).set('ox');
      f.get('oy').i32(1).op('i32.add').tee('oy').get('outH').op('i32.ge_u').when(() => {
        f.i32(0).set('oy');
        f.get('batch').i32(1).op('i32.add').set('batch');
      });
    });
  });
  return f;
}

/** Output pixels that patchWalk's fast path takes at once. */
const QUAD = 4;

/** Bytes of a vector's lanes: two lanes of each of two vectors side by side (i8x16.shuffle). */
const lanes = (...picked: number[]) => picked.flatMap((lane) => [0, 1, 2, 3].map((byte) => 4 * lane + byte));

/** min(max(value, low), high) on signed integers, left on the stack. */
function clamp(f: FunctionWriter, value: () => void, low: () => void, high: () => void): FunctionWriter {
  const t = f.local('i32');
  value();
  f.set(t);
  // max(t, low)
  f.get(t); low(); f.get(t); low(); f.op('i32.gt_s').op('select').set(t);
  // min(t, high)
  f.get(t); high(); f.get(t); high(); f.op('i32.lt_s').op('select');
  return f;
}

/** Is the filter row inside the image (0 <= iy < height, one unsigned comparison)? */
const rowInside = (f: FunctionWriter) => f.get('iy').get('height').op('i32.lt_u');

/** Matrix rows <- the image patches; zeros where a patch hangs over the image's border. */
export function im2col(): FunctionWriter {
  return patchWalk('im2col', (f) => {
    rowInside(f).ifElse(() => {
      // zeros for columns [0, kx0), the image run [kx0, kx1), zeros for [kx1, filterW)
      move(f, () => f.get('dst'), null, () => f.get('kx0').get('pixel').op('i32.mul'));
      move(f, () => f.get('matrixRun'), () => f.get('imageRun'), () => f.get('kx1').get('kx0').op('i32.sub').get('pixel').op('i32.mul'));
      move(f, () => f.get('dst').get('kx1').get('pixel').op('i32.mul').op('i32.add'), null, () => f.get('filterW').get('kx1').op('i32.sub').get('pixel').op('i32.mul'));
    }, () => {
      move(f, () => f.get('dst'), null, () => f.get('filterRow'));
    });
  });
}

/**
 * A convolution with few output channels (1-3: an image's last layer) straight from the
 * image, without a patch matrix: out[row * n + o] += sum over the patch of image * filter_o,
 * each filter row's run a dot product sixteen numbers at a time, into four accumulators, then
 * four at a time and one. With one accumulator each multiply-add waited for the last: a GAN's
 * last layer (3x3 from 32 channels to 1, 28 x 28, batch 64) took 3.6-3.8 ms a forward pass,
 * 2.8-2.9 with four, about 10 GFLOP/s; the walk itself (a run's addresses, the sums' lanes
 * added and stored, three times a pixel) then took most of it. So where `quads` is set (a
 * filter row's run in fours), four neighbouring pixels whose windows lie within the image's
 * columns go together: each vector of the filter is loaded once for the four, their runs'
 * addresses worked out once, and their four sums reduced into one vector (`quadDot`).
 * `matrix` is the filter transposed, [n, K] (K bytes `depthBytes`), and colStride 0, so the
 * walk's matrixRun is filter 0's part for the run. Rows of out must hold the bias (or 0) before.
 */
export function patchDot(fused: boolean): FunctionWriter {
  return patchWalk('patchDot', (f) => {
    for (const local of ['count', 'o', 'a', 'b', 'remaining', 'at']) f.local('i32', local);
    const accumulators = [0, 1, 2, 3].map((i) => f.local('v128', `acc${i}`));
    const [acc, sum] = [accumulators[0], f.local('f32', 'sum')];
    // acc += a[offset] * b[offset], four numbers
    const multiplyAdd = (into: number, offset: number) => {
      if (fused) f.get('a').memory('v128.load', offset).get('b').memory('v128.load', offset).get(into).simd('f32x4.relaxed_madd');
      else f.get(into).get('a').memory('v128.load', offset).get('b').memory('v128.load', offset).simd('f32x4.mul').simd('f32x4.add');
      f.set(into);
    };
    const step = (numbers: number) => {
      f.get('a').i32(4 * numbers).op('i32.add').set('a');
      f.get('b').i32(4 * numbers).op('i32.add').set('b');
      f.get('remaining').i32(numbers).op('i32.sub').set('remaining');
    };
    rowInside(f).when(() => {
      f.get('kx1').get('kx0').op('i32.sub').get('channels').op('i32.mul').set('count');
      f.i32(0).set('o');
      f.whileLoop(() => f.get('o').get('n').op('i32.lt_u'), () => {
        for (const local of accumulators) f.zeroVector().set(local);
        f.get('imageRun').set('a');
        f.get('matrixRun').get('o').get('depthBytes').op('i32.mul').op('i32.add').set('b');
        f.get('count').set('remaining');
        f.whileLoop(() => f.get('remaining').i32(16).op('i32.ge_u'), () => {
          accumulators.forEach((local, i) => multiplyAdd(local, 16 * i));
          step(16);
        });
        f.get(accumulators[0]).get(accumulators[1]).simd('f32x4.add').get(accumulators[2]).get(accumulators[3]).simd('f32x4.add').simd('f32x4.add').set(acc);
        f.whileLoop(() => f.get('remaining').i32(4).op('i32.ge_u'), () => {
          multiplyAdd(acc, 0);
          step(4);
        });
        // the four lanes, then the last 0-3 products
        f.get(acc).extractLane(0).get(acc).extractLane(1).op('f32.add').get(acc).extractLane(2).op('f32.add').get(acc).extractLane(3).op('f32.add').set(sum);
        f.whileLoop(() => f.get('remaining'), () => {
          f.get(sum).get('a').f32Load().get('b').f32Load().op('f32.mul').op('f32.add').set(sum);
          step(1);
        });
        // out[row * n + o] += sum
        f.get('out').get('row').get('n').op('i32.mul').get('o').op('i32.add').i32(2).op('i32.shl').op('i32.add').tee('at');
        f.get('at').f32Load().get(sum).op('f32.add').f32Store();
        f.get('o').i32(1).op('i32.add').set('o');
      });
    });
  }, ['out', 'n', 'depthBytes', 'quads'], (f) => quadDot(f, fused));
}

/**
 * patchDot's four pixels at once (see patchDot): for each output channel o, four accumulators,
 * one a pixel; for each filter row inside the image, its run of filterW * channels numbers (in
 * fours), each vector of filter o loaded once and multiplied into the four pixels' runs, which
 * lie strideW pixels apart. Then the four vectors' lanes summed into one vector of four sums,
 * added onto out's four rows.
 */
function quadDot(f: FunctionWriter, fused: boolean): void {
  for (const local of ['quadO', 'quadImage', 'quadFilter', 'quadBytes', 'quadStep', 'quadStep2', 'quadStep3', 'quadOut']) f.local('i32', local);
  const sums = [0, 1, 2, 3].map((i) => f.local('v128', `quadSum${i}`));
  const [weights, pairs, pairs2] = [f.local('v128', 'quadWeights'), f.local('v128', 'quadPairs'), f.local('v128', 'quadPairs2')];
  // bytes between neighbouring pixels' windows
  f.get('strideW').get('pixel').op('i32.mul').tee('quadStep').i32(1).op('i32.shl').set('quadStep2');
  f.get('quadStep2').get('quadStep').op('i32.add').set('quadStep3');
  f.i32(0).set('quadO');
  f.whileLoop(() => f.get('quadO').get('n').op('i32.lt_u'), () => {
    for (const sum of sums) f.zeroVector().set(sum);
    f.i32(0).set('ky');
    f.whileLoop(() => f.get('ky').get('filterH').op('i32.lt_u'), () => {
      f.get('oy').get('strideH').op('i32.mul').get('padTop').op('i32.sub').get('ky').op('i32.add').set('iy');
      rowInside(f).when(() => {
        // &image[batch, iy, ox*s - padLeft, 0] for the first pixel (left = padLeft - ox*s <= 0)
        f.get('image').get('batch').get('height').op('i32.mul').get('iy').op('i32.add').get('width').op('i32.mul')
          .get('left').op('i32.sub').get('pixel').op('i32.mul').op('i32.add').set('quadImage');
        // &filterT[o, ky, 0, 0]
        f.get('matrix').get('quadO').get('depthBytes').op('i32.mul').op('i32.add').get('ky').get('filterRow').op('i32.mul').op('i32.add').set('quadFilter');
        f.get('filterRow').set('quadBytes');
        /** The four sums += the filter's vectors at `offsets` (bytes) times each pixel's at the same place in its run; then on past them. */
        const multiplyAdd = (offsets: number[]) => {
          for (const offset of offsets) {
            f.get('quadFilter').memory('v128.load', offset).set(weights);
            sums.forEach((sum, i) => {
              // sum_i += image[pixel i's run] * filter
              f.get('quadImage');
              if (i > 0) f.get(['quadStep', 'quadStep2', 'quadStep3'][i - 1]).op('i32.add');
              f.memory('v128.load', offset);
              if (fused) f.get(weights).get(sum).simd('f32x4.relaxed_madd');
              else f.get(weights).simd('f32x4.mul').get(sum).simd('f32x4.add');
              f.set(sum);
            });
          }
          const bytes = 16 * offsets.length;
          f.get('quadImage').i32(bytes).op('i32.add').set('quadImage');
          f.get('quadFilter').i32(bytes).op('i32.add').set('quadFilter');
          f.get('quadBytes').i32(bytes).op('i32.sub').set('quadBytes');
        };
        // two vectors a turn (the loop's own work shared), then the last one
        f.whileLoop(() => f.get('quadBytes').i32(32).op('i32.ge_u'), () => multiplyAdd([0, 16]));
        f.get('quadBytes').when(() => multiplyAdd([0]));
      });
      f.get('ky').i32(1).op('i32.add').set('ky');
    });
    // (s0 + s2, s1 + s3) of two pixels' sums at once, then the lanes of each pair: [sum 0, sum 1, sum 2, sum 3]
    f.get(sums[0]).get(sums[1]).shuffle(lanes(0, 1, 4, 5)).get(sums[0]).get(sums[1]).shuffle(lanes(2, 3, 6, 7)).simd('f32x4.add').set(pairs);
    f.get(sums[2]).get(sums[3]).shuffle(lanes(0, 1, 4, 5)).get(sums[2]).get(sums[3]).shuffle(lanes(2, 3, 6, 7)).simd('f32x4.add').set(pairs2);
    f.get(pairs).get(pairs2).shuffle(lanes(0, 2, 4, 6)).get(pairs).get(pairs2).shuffle(lanes(1, 3, 5, 7)).simd('f32x4.add').set(weights);
    // out[(row + i) n + o] += sum i: one vector where n is 1, else four numbers n apart
    f.get('out').get('row').get('n').op('i32.mul').get('quadO').op('i32.add').i32(2).op('i32.shl').op('i32.add').set('quadOut');
    f.get('n').i32(1).op('i32.eq').ifElse(() => {
      f.get('quadOut').get('quadOut').memory('v128.load').get(weights).simd('f32x4.add').memory('v128.store');
    }, () => {
      for (let i = 0; i < QUAD; i++) {
        f.get('quadOut').get('quadOut').f32Load().get(weights).extractLane(i).op('f32.add').f32Store();
        f.get('quadOut').get('n').i32(2).op('i32.shl').op('i32.add').set('quadOut');
      }
    });
    f.get('quadO').i32(1).op('i32.add').set('quadO');
  });
}

/** Image pixels += the matrix rows that were copied from them (the image must start at zero). */
export function col2im(): FunctionWriter {
  return patchWalk('col2im', (f) => {
    const count = f.local('i32', 'count');
    rowInside(f).when(() => {
      // floats in the run
      f.get('kx1').get('kx0').op('i32.sub').get('channels').op('i32.mul').set(count);
      f.whileLoop(() => f.get(count).i32(4).op('i32.ge_u'), () => {
        f.get('imageRun').get('imageRun').memory('v128.load').get('matrixRun').memory('v128.load').simd('f32x4.add').memory('v128.store');
        f.get('imageRun').i32(16).op('i32.add').set('imageRun');
        f.get('matrixRun').i32(16).op('i32.add').set('matrixRun');
        f.get(count).i32(4).op('i32.sub').set(count);
      });
      f.whileLoop(() => f.get(count), () => {
        f.get('imageRun').get('imageRun').f32Load().get('matrixRun').f32Load().op('f32.add').f32Store();
        f.get('imageRun').i32(4).op('i32.add').set('imageRun');
        f.get('matrixRun').i32(4).op('i32.add').set('matrixRun');
        f.get(count).i32(1).op('i32.sub').set(count);
      });
    });
  });
}

/** Terms of gatherSums held in locals, their offsets read once per call: a class of a stride-2 3x3 filter's input gradient has 1, 2 or 4. */
const HELD_TERMS = 4;

/**
 * col2im turned round, for one-channel inputs at a stride (strided.ts): each target pixel's
 * sum gathered from the matrix instead of each matrix row added onto its pixels. For each of
 * `images` images (the matrix's `matrixImage` bytes apart, the target's `targetImage`) and
 * each of its `pixels` pixels p, target[targetTable[p]] = the sum over the `terms` terms t
 * of matrix[sourceTable[p] + stepTable[t]] (tables of byte offsets within one image), in
 * t's order; 0 with no terms. Nothing is read from the target, so it need not be zeroed.
 *
 * Every pixel takes the same terms: 1-4 terms (an image's first layer at stride 2) take a
 * loop written for that many, their offsets read into locals once, about 16 instructions a
 * pixel where col2im takes about 45; more terms take a loop over the table.
 */
export function gatherSums(): FunctionWriter {
  const f = new FunctionWriter('gatherSums', ['matrix', 'matrixImage', 'sourceTable', 'stepTable', 'target', 'targetImage', 'targetTable', 'images', 'pixels', 'terms']);
  for (const local of ['p', 't', 'base', 'out']) f.local('i32', local);
  const held = Array.from({ length: HELD_TERMS }, (_, t) => f.local('i32', `step${t}`));
  const [sum, term] = [f.local('f32', 'sum'), f.local('f32', 'term')];
  held.forEach((step, t) => f.get('terms').i32(t).op('i32.gt_u').when(() => f.get('stepTable').i32Load(4 * t).set(step)));
  /** For each image and each of its pixels, `body` with base and out at the pixel's source and target. */
  const eachPixel = (body: () => void) => {
    f.whileLoop(() => f.get('images'), () => {
      f.i32(0).set('p');
      f.whileLoop(() => f.get('p').get('pixels').op('i32.lt_u'), () => {
        f.get('matrix').get('sourceTable').get('p').i32(2).op('i32.shl').op('i32.add').i32Load().op('i32.add').set('base');
        f.get('target').get('targetTable').get('p').i32(2).op('i32.shl').op('i32.add').i32Load().op('i32.add').set('out');
        body();
        f.get('p').i32(1).op('i32.add').set('p');
      });
      f.get('matrix').get('matrixImage').op('i32.add').set('matrix');
      f.get('target').get('targetImage').op('i32.add').set('target');
      f.get('images').i32(1).op('i32.sub').set('images');
    });
  };
  f.block((done) => {
    for (let count = 1; count <= HELD_TERMS; count++) {
      f.get('terms').i32(count).op('i32.eq').when(() => {
        eachPixel(() => {
          // term 0, then + term 1, ...
          f.get('out');
          held.slice(0, count).forEach((step, t) => {
            f.get('base').get(step).op('i32.add').f32Load();
            if (t > 0) f.op('f32.add');
          });
          f.f32Store();
        });
        f.br(done);
      });
    }
    // no terms (0), or more than HELD_TERMS, from the table
    eachPixel(() => {
      f.f32(0).set(sum);
      f.i32(0).set('t');
      f.whileLoop(() => f.get('t').get('terms').op('i32.lt_u'), () => {
        f.get('base').get('stepTable').get('t').i32(2).op('i32.shl').op('i32.add').i32Load().op('i32.add').f32Load().set(term);
        // the first term as it is (0 + x would turn -0 into 0, where the held terms' loops keep it), the others added
        f.get(sum).get(term).op('f32.add').get(term).get('t').op('select').set(sum);
        f.get('t').i32(1).op('i32.add').set('t');
      });
      f.get('out').get(sum).f32Store();
    });
  });
  return f;
}
