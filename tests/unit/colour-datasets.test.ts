/** The colour sets built by scripts/build-datasets.mjs: Colored MNIST and the emoji at 16 and 32 pixels. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDatasetFile } from '../../src/cli/node-datasets';
import { findDataset, type ImageDataSpec, type Split } from '../../src/core/datasets/catalog';
import { colourise, colourPairs, COLORED_MNIST_SEEDS, luma, MIN_LUMA_GAP } from '../../scripts/datasets/colored-mnist.mjs';
import { cutAndComposite, EMOJI_BACKGROUND, EMOJI_CATEGORIES, emojiSplitOf, type RgbaSheet } from '../../scripts/datasets/emoji.mjs';

const require = createRequire(import.meta.url);
// pngjs ships no types; the sheet it decodes is all we read of it.
const { PNG } = require('pngjs') as { PNG: { sync: { read(buffer: Buffer): RgbaSheet & { height: number } } } };
const emojiDir = dirname(require.resolve('emoji-datasource-google/package.json'));
const SPLITS = ['train', 'test'] as const;

const read = (id: string, split: Split) => ({ images: readDatasetFile(id, split, 'images'), labels: readDatasetFile(id, split, 'labels') });

describe('colored-mnist', () => {
  const mnist = Object.fromEntries(SPLITS.map((split) => [split, read('mnist', split)])) as Record<Split, ReturnType<typeof read>>;
  const colour = Object.fromEntries(SPLITS.map((split) => [split, read('colored-mnist', split)])) as Record<Split, ReturnType<typeof read>>;

  it('has the catalog shape and counts, and the MNIST labels in MNIST order', () => {
    const spec = findDataset('colored-mnist') as ImageDataSpec;
    expect([...spec.shape]).toEqual([28, 28, 3]);
    expect(spec.look).toBe('as-stored');
    for (const split of SPLITS) {
      expect(colour[split].images.length).toBe(spec.counts[split] * 28 * 28 * 3);
      expect(Buffer.from(colour[split].labels).equals(Buffer.from(mnist[split].labels))).toBe(true);
    }
  });

  it('is deterministic: every image equals its MNIST digit painted in the seeded colours', () => {
    for (const split of SPLITS) {
      const count = mnist[split].labels.length;
      const pairs = colourPairs(count, COLORED_MNIST_SEEDS[split]);
      expect(Buffer.from(colourPairs(count, COLORED_MNIST_SEEDS[split])).equals(Buffer.from(pairs))).toBe(true);
      expect(Buffer.from(colourise(mnist[split].images, pairs)).equals(Buffer.from(colour[split].images))).toBe(true);
    }
  });

  it('pixel = bg * (1 - a) + fg * a, by hand for one pixel of each kind', () => {
    // train image 0 (a 5), row 5: grey 0, 18 and 255 at columns 0, 13 and 21
    const pairs = colourPairs(1, COLORED_MNIST_SEEDS.train);
    const [fg, bg] = [Array.from(pairs.subarray(0, 3)), Array.from(pairs.subarray(3, 6))];
    const pixel = (column: number) => Array.from(colour.train.images.subarray((5 * 28 + column) * 3, (5 * 28 + column) * 3 + 3));
    expect(pixel(0)).toEqual(bg);
    expect(pixel(21)).toEqual(fg);
    expect(pixel(13)).toEqual(bg.map((b, c) => Math.round(b * (1 - 18 / 255) + fg[c] * (18 / 255))));
  });

  it('every digit contrasts with its background: their lumas differ by at least MIN_LUMA_GAP, read off the pixels', () => {
    expect(MIN_LUMA_GAP).toBeGreaterThanOrEqual(100);
    for (const split of SPLITS) {
      const { images: grey } = mnist[split];
      const { images } = colour[split];
      let smallest = Infinity;
      const colours = new Set<string>();
      for (let index = 0; index < mnist[split].labels.length; index++) {
        // the first pixel of grey 0 (background) and the darkest stroke pixel, of coverage a (most digits reach a = 1)
        const digit = grey.subarray(index * 784, (index + 1) * 784);
        const paper = digit.indexOf(0);
        const ink = digit.indexOf(Math.max(...digit));
        const rgb = (pixel: number) => Array.from(images.subarray((index * 784 + pixel) * 3, (index * 784 + pixel) * 3 + 3));
        // the stroke's luma moves a of the way from the paper's to the foreground's; rounding each channel moves it by at most 0.5
        smallest = Math.min(smallest, (Math.abs(luma(rgb(ink)) - luma(rgb(paper))) + 1) / (digit[ink] / 255));
        colours.add(rgb(paper).join());
      }
      expect(smallest, split).toBeGreaterThanOrEqual(MIN_LUMA_GAP);
      // colours drawn afresh for each digit, not a handful reused
      expect(colours.size, split).toBeGreaterThan(0.9 * mnist[split].labels.length);
    }
  });
});

describe('emoji', () => {
  const json = (name: string) => JSON.parse(readFileSync(join(emojiDir, name), 'utf8'));
  const sheet = (size: number) => PNG.sync.read(readFileSync(join(emojiDir, 'img', 'google', 'sheets-clean', `${size}.png`)));
  const sheets = { 16: sheet(16), 32: sheet(32) };
  const split = emojiSplitOf(json('emoji.json'), Object.keys(json('categories.json')), sheets[32]);

  it('the catalog names the package categories in its order, white background', () => {
    for (const id of ['emoji16', 'emoji32']) {
      const spec = findDataset(id) as ImageDataSpec;
      expect(spec.classNames).toEqual(EMOJI_CATEGORIES);
      expect(spec.look).toBe('as-stored');
    }
    expect([...EMOJI_BACKGROUND]).toEqual([255, 255, 255]);
  });

  it.each([16, 32] as const)('emoji%i: the catalog counts and shape; each built image is its sheet cell on white, with the split\'s labels', (size) => {
    const spec = findDataset(`emoji${size}`) as ImageDataSpec;
    expect([...spec.shape]).toEqual([size, size, 3]);
    const bytes = size * size * 3;
    for (const name of SPLITS) {
      const { images, labels } = read(spec.id, name);
      expect(labels.length).toBe(spec.counts[name]);
      expect(split[name].length).toBe(spec.counts[name]);
      expect(images.length).toBe(spec.counts[name] * bytes);
      expect(Array.from(labels)).toEqual(split[name].map((image) => image.label));
      for (const index of [0, 1, Math.floor(labels.length / 2), labels.length - 1]) {
        const { sheetX, sheetY } = split[name][index];
        const expected = cutAndComposite(sheets[size], size, sheetX, sheetY);
        expect(Buffer.from(images.subarray(index * bytes, (index + 1) * bytes)).equals(Buffer.from(expected)), `${name} ${index}`).toBe(true);
      }
    }
  });

  it('a transparent pixel is the background, an opaque one the sheet\'s colour, a half-covered one the blend (first test image, 32 px)', () => {
    const size = 32;
    const { sheetX, sheetY } = split.test[0];
    const image = readDatasetFile('emoji32', 'test', 'images').subarray(0, size * size * 3);
    const { width, data } = sheets[size];
    const sheetPixel = (x: number, y: number) => Array.from(data.subarray(((sheetY * (size + 2) + 1 + y) * width + sheetX * (size + 2) + 1 + x) * 4).subarray(0, 4));
    const built = (x: number, y: number) => Array.from(image.subarray((y * size + x) * 3, (y * size + x) * 3 + 3));
    const found = { clear: false, solid: false, partial: false };
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const [r, g, b, a] = sheetPixel(x, y);
        if (a === 0) {
          found.clear = true;
          expect(built(x, y)).toEqual([255, 255, 255]);
        } else if (a === 255) {
          found.solid = true;
          expect(built(x, y)).toEqual([r, g, b]);
        } else {
          found.partial = true;
          expect(built(x, y)).toEqual([r, g, b].map((value) => Math.round((a / 255) * value + (1 - a / 255) * 255)));
        }
      }
    }
    expect(found).toEqual({ clear: true, solid: true, partial: true });
    // the top-left corner of an emoji is empty: the page
    expect(built(0, 0)).toEqual([255, 255, 255]);
  });

  it('cuts inside the 1-pixel border of each cell', () => {
    // a 2 x 1 sheet of 2-pixel cells (4 x 4 with borders): cell (1, 0) painted by column
    const width = 8;
    const data = new Uint8Array(width * 4 * 4);
    const paint = (x: number, y: number, rgba: number[]) => data.set(rgba, (y * width + x) * 4);
    paint(5, 1, [10, 20, 30, 255]);
    paint(6, 1, [200, 100, 0, 0]);
    paint(5, 2, [0, 0, 0, 51]);
    paint(6, 2, [100, 100, 100, 255]);
    paint(4, 1, [1, 2, 3, 255]); // the border, never read
    expect(Array.from(cutAndComposite({ width, data }, 2, 1, 0, [250, 240, 230]))).toEqual([10, 20, 30, 250, 240, 230, 200, 192, 184, 100, 100, 100]);
  });

  it('the split: about a tenth of each category held out, an emoji\'s skin tones all on one side, no picture in both', () => {
    const trainGroups = new Set(split.train.map((image) => image.group));
    expect(split.test.filter((image) => trainGroups.has(image.group))).toEqual([]);
    EMOJI_CATEGORIES.forEach((_, label) => {
      const groups = (images: typeof split.train) => new Set(images.filter((image) => image.label === label).map((image) => image.group)).size;
      const [train, test] = [groups(split.train), groups(split.test)];
      expect(test, EMOJI_CATEGORIES[label]).toBe(Math.max(1, Math.round((train + test) * 0.1)));
    });
    for (const size of [16, 32] as const) {
      const pictures = (name: Split) => {
        const images = readDatasetFile(`emoji${size}`, name, 'images');
        const bytes = size * size * 3;
        return new Set(Array.from({ length: images.length / bytes }, (_, index) => Buffer.from(images.subarray(index * bytes, (index + 1) * bytes)).toString('base64')));
      };
      const train = pictures('train');
      const shared = [...pictures('test')].filter((picture) => train.has(picture));
      expect(shared.length, `emoji${size}`).toBe(0);
    }
  });
});
