/**
 * The PyTorch export of PixelRNN (src/export/pixelrnn.ts), Row LSTM and Diagonal BiLSTM:
 * from the same weights, Adam state and batch, train.py computes TF.js's -log p(x) and its
 * gradients and takes the same Adam step; from the same uniform numbers it draws the same
 * pixels as the app's (cached) sampler; and train.py trains from its own files.
 *
 * Needs PyTorch for Debian's python3 (see export-helpers.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { configOf, requireTorch, runHarness, skipWithoutTorch } from './export-helpers';
import { expectPixelParity, pixelCase } from './export-pixel-helpers';

let root: string;
beforeAll(async () => {
  await useNodeBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'export-pixelrnn-test-'));
});
afterAll(() => spawnSync('rm', ['-rf', root]));

const BATCH = 4;
/** The tiny preset of tests/unit/pixelrnn.test.ts: one LSTM layer of 6 units (two per colour). */
const TINY = { units: 6, layers: 1, first_kernel: '3', batch: BATCH, lr: 0.01 };

/**
 * Samples from the same uniforms are the same where no uniform lies within float rounding of a
 * boundary of the inverse CDF: the first case at temperature 1 drew one value of its 1,568 one
 * level higher in PyTorch (its u 6e-7 from a boundary: float32 rounding of the sums); at 0.9
 * none do. Emoji 16 x 16 for colour: a third of Colored MNIST's values to draw.
 */
const CASES: [string, string, Record<string, unknown>, number][] = [
  ['Row LSTM, grey 8-bit values, 256-way softmax, temperature 0.9', 'mnist', { ...TINY, layer: 'row', temperature: 0.9 }, 2],
  ['Row LSTM, colour binarized by a threshold, two layers, temperature 0.7', 'emoji16', { ...TINY, layer: 'row', data: 'threshold', layers: 2, temperature: 0.7 }, 2],
  ['Diagonal BiLSTM, grey 8-bit values, 256-way softmax, argmax', 'mnist', { ...TINY, layer: 'diagonal', temperature: 0 }, 2],
  ['Diagonal BiLSTM, colour binarized by sampling, two layers, temperature 1', 'emoji16', { ...TINY, layer: 'diagonal', data: 'sampled', layers: 2 }, 2],
];

describe.skipIf(skipWithoutTorch)('the exported PixelRNN against TF.js (cpu backend)', () => {
  let results: Map<string, Record<string, number>>;

  beforeAll(async () => {
    requireTorch();
    const projects: string[] = [];
    for (const [name, dataset, values, samples] of CASES) projects.push(await pixelCase(root, name.replace(/\W+/g, '-'), configOf('pixelrnn', dataset, values), samples, BATCH));
    results = runHarness(projects);
  }, 120_000);

  it.each(CASES)('%s: the same -log p(x), gradients, Adam step, and pixels from the same uniforms', (name) => {
    const result = results.get(join(root, name.replace(/\W+/g, '-')))!;
    // measured: gradients and moments at most 2.5e-6 of their largest value; weights at most 1.2e-5 learning rates, one float32 rounding
    expectPixelParity(result);
  });
});
