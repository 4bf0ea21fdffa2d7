/**
 * The PyTorch export of the gated PixelCNN (src/export/pixelcnn.ts, architecture 'gated'):
 * from the same weights, Adam state and batch, train.py computes TF.js's -log p(x) and its
 * gradients and takes the same Adam step; from the same uniform numbers it draws the same
 * pixels as the app's (cached) sampler.
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
  root = mkdtempSync(join(tmpdir(), 'export-gated-pixelcnn-test-'));
});
afterAll(() => spawnSync('rm', ['-rf', root]));

const BATCH = 4;
/** A tiny gated network: the type-A layer and one type-B layer of 6 feature maps (two per colour). */
const TINY = { architecture: 'gated', filters: 6, layers: 1, kernel: '3', first_kernel: '3', batch: BATCH, lr: 0.01 };

const CASES: [string, string, Record<string, unknown>, number][] = [
  ['grey 8-bit values, 256-way softmax, 5x5 type-A window, temperature 1', 'mnist', { ...TINY, first_kernel: '5' }, 2],
  ['colour, binarized by sampling, three colour groups, two type-B layers, temperature 0.7', 'colored-mnist', { ...TINY, data: 'sampled', layers: 2, temperature: 0.7 }, 2],
];

describe.skipIf(skipWithoutTorch)('the exported gated PixelCNN against TF.js (cpu backend)', () => {
  let results: Map<string, Record<string, number>>;

  beforeAll(async () => {
    requireTorch();
    const projects: string[] = [];
    for (const [name, dataset, values, samples] of CASES) projects.push(await pixelCase(root, name.replace(/\W+/g, '-'), configOf('pixelcnn', dataset, values), samples, BATCH));
    results = runHarness(projects);
  }, 120_000);

  it.each(CASES)('%s: the same -log p(x), gradients, Adam step, and pixels from the same uniforms', (name) => {
    const result = results.get(join(root, name.replace(/\W+/g, '-')))!;
    // measured: gradients and moments at most 2.5e-5 of their largest value, on the 256-way softmax; weights at most 1.3e-4 learning rates
    expectPixelParity(result);
  });
});
