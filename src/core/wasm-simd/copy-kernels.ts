/**
 * Moving and summing runs of memory, generated as code (see encoder.ts) into the module of
 * ./kernels.ts: move (a run copied or zeroed, inlined by the kernels that need one), zeroBytes, copyRuns
 * (strided runs, for the heap kernels of ../wasm-heap-kernels.ts), addRuns (the same, adding), padRuns (an image's rows
 * into a padded copy, its border columns zeroed on the way) and sumRows (a bias gradient's
 * sums in row order).
 */
import { FunctionWriter } from './encoder';
import { splatLocal, timesSwishSlope } from './elementwise-kernels';

/** Runs shorter than this many bytes are moved by our loop: bulk memory's call costs more (a one-channel image's runs are 12 bytes). */
const BULK_BYTES = 256;

/** Copies `bytes` (a multiple of 4) from `from` to `to`, or zeroes them when `from` is null. */
export function move(f: FunctionWriter, to: () => void, from: (() => void) | null, bytes: () => void): void {
  const [at, source, left] = [f.local('i32', 'moveTo'), f.local('i32', 'moveFrom'), f.local('i32', 'moveLeft')];
  to();
  f.set(at);
  if (from) { from(); f.set(source); }
  bytes();
  f.tee(left).i32(BULK_BYTES).op('i32.ge_u').ifElse(() => {
    if (from) f.get(at).get(source).get(left).memoryCopy();
    else f.get(at).i32(0).get(left).memoryFill();
  }, () => {
    const step = (size: number, load: () => void, store: () => void) => {
      f.whileLoop(() => f.get(left).i32(size).op('i32.ge_u'), () => {
        f.get(at);
        load();
        store();
        f.get(at).i32(size).op('i32.add').set(at);
        if (from) f.get(source).i32(size).op('i32.add').set(source);
        f.get(left).i32(size).op('i32.sub').set(left);
      });
    };
    step(16, () => (from ? f.get(source).memory('v128.load') : f.zeroVector()), () => f.memory('v128.store'));
    step(4, () => (from ? f.get(source).f32Load() : f.f32(0)), () => f.f32Store());
  });
}

/**
 * `bytes` bytes (a multiple of 4) zeroed at `at`. Where the heap is shared memory (the
 * threaded build a cross-origin-isolated page loads), JavaScript's TypedArray.fill on it took
 * 5-10 times as long as memory.fill in Chromium; on plain memory, as in Node, the two ran alike.
 */
export function zeroBytes(): FunctionWriter {
  const f = new FunctionWriter('zeroBytes', ['at', 'bytes']);
  move(f, () => f.get('at'), null, () => f.get('bytes'));
  return f;
}

/** `runs` runs of `bytes` bytes (a multiple of 4), from source and target addresses `sourceStride` and `targetStride` bytes apart. */
export function copyRuns(): FunctionWriter {
  const f = new FunctionWriter('copyRuns', ['source', 'sourceStride', 'target', 'targetStride', 'runs', 'bytes']);
  f.whileLoop(() => f.get('runs'), () => {
    move(f, () => f.get('target'), () => f.get('source'), () => f.get('bytes'));
    f.get('source').get('sourceStride').op('i32.add').set('source');
    f.get('target').get('targetStride').op('i32.add').set('target');
    f.get('runs').i32(1).op('i32.sub').set('runs');
  });
  return f;
}

/**
 * target[i] += source[i] over `runs` runs of `bytes()` bytes (a multiple of 4) of float32, the
 * runs `sourceStride()` and `targetStride()` bytes apart, four lanes at a time, then one: each
 * sum the float32 sum in run order, whatever the lane width. `source`, `target` and `runs`
 * name the function's locals (advanced; runs counted down).
 */
function addEachRun(f: FunctionWriter, source: string, target: string, runs: string, sourceStride: () => void, targetStride: () => void, bytes: () => void): void {
  const [at, from, left] = [f.local('i32', 'addTo'), f.local('i32', 'addFrom'), f.local('i32', 'addLeft')];
  f.whileLoop(() => f.get(runs), () => {
    f.get(target).set(at);
    f.get(source).set(from);
    bytes();
    f.set(left);
    f.whileLoop(() => f.get(left).i32(16).op('i32.ge_u'), () => {
      f.get(at).get(at).memory('v128.load').get(from).memory('v128.load').simd('f32x4.add').memory('v128.store');
      f.get(at).i32(16).op('i32.add').set(at);
      f.get(from).i32(16).op('i32.add').set(from);
      f.get(left).i32(16).op('i32.sub').set(left);
    });
    f.whileLoop(() => f.get(left), () => {
      f.get(at).get(at).f32Load().get(from).f32Load().op('f32.add').f32Store();
      f.get(at).i32(4).op('i32.add').set(at);
      f.get(from).i32(4).op('i32.add').set(from);
      f.get(left).i32(4).op('i32.sub').set(left);
    });
    f.get(source);
    sourceStride();
    f.op('i32.add').set(source);
    f.get(target);
    targetStride();
    f.op('i32.add').set(target);
    f.get(runs).i32(1).op('i32.sub').set(runs);
  });
}

/**
 * copyRuns, adding: target[i] += source[i] over `runs` runs of `bytes` bytes (a multiple of
 * 4) of float32 (the sum of a gradient's pieces: the Row LSTM's neighbours, ../wasm-heap-neighbours.ts).
 */
export function addRuns(): FunctionWriter {
  const f = new FunctionWriter('addRuns', ['source', 'sourceStride', 'target', 'targetStride', 'runs', 'bytes']);
  addEachRun(f, 'source', 'target', 'runs', () => f.get('sourceStride'), () => f.get('targetStride'), () => f.get('bytes'));
  return f;
}

/**
 * copyRuns, with the `targetStride - bytes` bytes between one run's end and the next one's
 * start zeroed: an image's rows written into its padded copy (patch-tables.ts, padImage), the
 * border columns on either side of them zeroed as they go, so that no byte is written twice.
 */
export function padRuns(): FunctionWriter {
  const f = new FunctionWriter('padRuns', ['source', 'sourceStride', 'target', 'targetStride', 'runs', 'bytes']);
  f.whileLoop(() => f.get('runs'), () => {
    move(f, () => f.get('target'), () => f.get('source'), () => f.get('bytes'));
    // a gap after every run but the last
    f.get('runs').i32(1).op('i32.sub').tee('runs').when(() => move(f, () => f.get('target').get('bytes').op('i32.add'), null, () => f.get('targetStride').get('bytes').op('i32.sub')));
    f.get('source').get('sourceStride').op('i32.add').set('source');
    f.get('target').get('targetStride').op('i32.add').set('target');
  });
  return f;
}

/** Vectors of totals sumRows holds in registers while it walks the rows. */
const SUM_ROWS_VECTORS = 4;
/**
 * Rows of at most this many bytes (128 columns) are summed a block of columns at a time,
 * longer ones a row at a time: walking down the rows a block at a time took 0.90x the time at
 * 128 columns, 1.08x at 256 and 1.7x at 1,024.
 */
const SUM_ROWS_NARROW = 512;

/**
 * total[c] = sum_r source[r, c] over `rows` rows of `columns` floats (a bias gradient), each
 * total the float32 sum in row order from 0, whatever the lane width: so TF.js's Sum's, to the
 * bit. Narrow rows (up to SUM_ROWS_NARROW bytes) go in blocks of SUM_ROWS_VECTORS vectors of
 * columns (then one vector, then one number), each block's totals held in registers down all
 * the rows and stored once: added to in memory row after row, each row waited on the last
 * row's store (PixelCNN++'s bias gradients, 17,248 rows of 16 columns, took 0.22x of that
 * time; 8,624 of 64, 0.63x; 50,176 rows of one number, 0.17x).
 */
export function sumRows(): FunctionWriter {
  const f = new FunctionWriter('sumRows', ['source', 'rows', 'columns', 'total']);
  const rowBytes = () => f.get('columns').i32(2).op('i32.shl');
  rowBytes();
  f.i32(SUM_ROWS_NARROW).op('i32.le_u').ifElse(() => narrowSums(f), () => {
    // wide rows: each added in turn to the totals, which stay in the first-level cache, as the rows stream by
    move(f, () => f.get('total'), null, rowBytes);
    addEachRun(f, 'source', 'total', 'rows', rowBytes, () => f.i32(0), rowBytes);
  });
  return f;
}

/** sumRows's narrow rows: the columns in blocks whose totals stay in registers down all the rows. */
function narrowSums(f: FunctionWriter): void {
  const [rowBytes, left, at, row] = ['rowBytes', 'left', 'at', 'row'].map((name) => f.local('i32', name));
  const totals = Array.from({ length: SUM_ROWS_VECTORS }, (_, v) => f.local('v128', `totals${v}`));
  const single = f.local('f32', 'single');
  f.get('columns').i32(2).op('i32.shl').tee(rowBytes).set(left);
  /** Walks the rows from the block at `source`, `body` adding each row's block at `at`. */
  const downTheRows = (body: () => void) => {
    f.get('source').set(at);
    f.get('rows').set(row);
    f.whileLoop(() => f.get(row), () => {
      body();
      f.get(at).get(rowBytes).op('i32.add').set(at);
      f.get(row).i32(1).op('i32.sub').set(row);
    });
  };
  /** The next block of `bytes` bytes of columns done: source and total move past it. */
  const next = (bytes: number) => {
    for (const pointer of ['source', 'total']) f.get(pointer).i32(bytes).op('i32.add').set(pointer);
    f.get(left).i32(bytes).op('i32.sub').set(left);
  };
  for (const vectors of [SUM_ROWS_VECTORS, 1]) {
    f.whileLoop(() => f.get(left).i32(16 * vectors).op('i32.ge_u'), () => {
      for (let v = 0; v < vectors; v++) f.zeroVector().set(totals[v]);
      downTheRows(() => {
        for (let v = 0; v < vectors; v++) f.get(totals[v]).get(at).memory('v128.load', 16 * v).simd('f32x4.add').set(totals[v]);
      });
      for (let v = 0; v < vectors; v++) f.get('total').get(totals[v]).memory('v128.store', 16 * v);
      next(16 * vectors);
    });
  }
  f.whileLoop(() => f.get(left), () => {
    f.f32(0).set(single);
    downTheRows(() => f.get(single).get(at).f32Load().op('f32.add').set(single));
    f.get('total').get(single).f32Store();
    next(4);
  });
}

/**
 * Sums of runs, each run times a weight: for each of `images`, for each of `groups` entries
 * of `table` (32-bit words: the target's byte offset, a count, then count pairs of a source
 * byte offset and a weight's float32 bits), target + offset gets the sum over the pairs of
 * weight times the run at source + its offset, `bytes` bytes (a multiple of 16) of float32;
 * an entry with no pairs writes zeros. The sources' offsets count from `source` and the
 * targets' from `target`, which move on by `sourceImage` and `targetImage` bytes an image.
 * Winograd's transforms of strided convolutions (strided-winograd.ts) are such sums, their
 * sparse weights read from tables.
 *
 * The run goes in blocks of up to SUM_BLOCK vectors, each block's sums held in registers
 * while the pairs are walked: a weight's splat and its offset's load serve a whole block, and
 * each sum is stored once. Each sum is the float32 sum in the pairs' order, whatever the block.
 * With slopeS, each sum is multiplied by Swish's slope s + y (1 - s) as it is stored, s and y
 * at slopeS and slopeY plus the sum's offset from the first image's target (an input
 * gradient's, fused: swishGradient's float32 operations in its order).
 */
export function weightedSums(): FunctionWriter {
  const f = new FunctionWriter('weightedSums', ['table', 'groups', 'bytes', 'source', 'sourceImage', 'target', 'targetImage', 'images', 'slopeS', 'slopeY']);
  const [entry, left, out, count, chunk, pair, terms, from, origin, at] = ['entry', 'left', 'out', 'count', 'chunk', 'pair', 'terms', 'from', 'origin', 'at'].map((name) => f.local('i32', name));
  const [weight, s, one] = [f.local('v128', 'weight'), f.local('v128', 's'), splatLocal(f, 'one', 1)];
  f.get('target').set(origin);
  const sums = Array.from({ length: SUM_BLOCK }, (_, v) => f.local('v128', `sum${v}`));
  /** One block of `vectors` vectors at `chunk` bytes into the run: its sums over the pairs, stored. */
  const block = (vectors: number) => {
    for (let v = 0; v < vectors; v++) f.zeroVector().set(sums[v]);
    f.get(entry).i32(8).op('i32.add').set(pair);
    f.get(count).set(terms);
    f.whileLoop(() => f.get(terms), () => {
      f.get('source').get(pair).i32Load().op('i32.add').get(chunk).op('i32.add').set(from);
      f.get(pair).memory('v128.load32_splat', 4).set(weight);
      for (let v = 0; v < vectors; v++) {
        f.get(sums[v]).get(from).memory('v128.load', 16 * v).get(weight).simd('f32x4.mul').simd('f32x4.add').set(sums[v]);
      }
      f.get(pair).i32(8).op('i32.add').set(pair);
      f.get(terms).i32(1).op('i32.sub').set(terms);
    });
    f.get('slopeS').when(() => {
      // the sums' offset from the first image's target: their place in s and y
      f.get(out).get(chunk).op('i32.add').get(origin).op('i32.sub').set(at);
      for (let v = 0; v < vectors; v++) timesSwishSlope(f, sums[v], () => f.get(at), 16 * v, one, s);
    });
    for (let v = 0; v < vectors; v++) f.get(out).get(chunk).op('i32.add').get(sums[v]).memory('v128.store', 16 * v);
    f.get(chunk).i32(16 * vectors).op('i32.add').set(chunk);
  };
  f.whileLoop(() => f.get('images'), () => {
    f.get('table').set(entry);
    f.get('groups').set(left);
    f.whileLoop(() => f.get(left), () => {
      f.get('target').get(entry).i32Load().op('i32.add').set(out);
      f.get(entry).i32Load(4).set(count);
      f.i32(0).set(chunk);
      f.whileLoop(() => f.get('bytes').get(chunk).op('i32.sub').i32(16 * SUM_BLOCK).op('i32.ge_u'), () => block(SUM_BLOCK));
      for (let vectors = SUM_BLOCK / 2; vectors >= 1; vectors /= 2) {
        f.get('bytes').get(chunk).op('i32.sub').i32(16 * vectors).op('i32.ge_u').when(() => block(vectors));
      }
      f.get(entry).i32(8).op('i32.add').get(count).i32(3).op('i32.shl').op('i32.add').set(entry);
      f.get(left).i32(1).op('i32.sub').set(left);
    });
    f.get('source').get('sourceImage').op('i32.add').set('source');
    f.get('target').get('targetImage').op('i32.add').set('target');
    f.get('images').i32(1).op('i32.sub').set('images');
  });
  return f;
}

/** Vectors of a run summed at once by weightedSums: eight sums, a weight and a load in registers. */
const SUM_BLOCK = 8;
