/**
 * The PyTorch export of PixelCNN (src/export/pixelcnn.ts): from the same weights, Adam state
 * and batch, train.py computes TF.js's -log p(x) and its gradients and takes the same Adam
 * step; from the same uniform numbers it draws the same pixels as the app's sampler; and its
 * held-out figures at step 0 are the app's (the same 200 test images, binarized alike), and the app reads train.py's weights back.
 *
 * Needs PyTorch for Debian's python3 (see export-helpers.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { DATA_DIR, openNodeDataset } from '../../src/cli/node-datasets';
import { datasetOf, modelValues } from '../../src/core/config';
import { findModel } from '../../src/core/models';
import { createRandom } from '../../src/core/random';
import { encodeCheckpoint } from '../../src/core/training/checkpoint-codec';
import { disposeState } from '../../src/core/training/model-state';
import { configOf, logLines, python, requireTorch, runHarness, skipWithoutTorch, writeProject } from './export-helpers';
import { expectPixelParity, pixelCase } from './export-pixel-helpers';
import { evaluateOn, heldOut, sessionFor } from './helpers';
import { importPytorchRun } from '../../src/export/import';

let root: string;
beforeAll(async () => {
  await useNodeBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'export-pixelcnn-test-'));
});
afterAll(() => spawnSync('rm', ['-rf', root]));

const BATCH = 4;
/** The tiny preset of tests/unit/pixelcnn.test.ts. */
const TINY = { filters: 6, layers: 1, kernel: '3', first_kernel: '3', batch: BATCH, lr: 0.01 };

const CASES: [string, string, Record<string, unknown>, number][] = [
  ['8-bit values, 256-way softmax, temperature 1', 'mnist', { ...TINY }, 3],
  ['binarized by a threshold, 5x5 type-B kernels, temperature 0.7', 'mnist', { ...TINY, data: 'threshold', kernel: '5', layers: 2, temperature: 0.7 }, 3],
  ['colour, binarized by sampling, three colour groups, argmax', 'colored-mnist', { ...TINY, data: 'sampled', temperature: 0 }, 2],
];

describe.skipIf(skipWithoutTorch)('the exported PixelCNN against TF.js (cpu backend)', () => {
  let results: Map<string, Record<string, number>>;

  beforeAll(async () => {
    requireTorch();
    const projects: string[] = [];
    for (const [name, dataset, values, samples] of CASES) projects.push(await pixelCase(root, name.replace(/\W+/g, '-'), configOf('pixelcnn', dataset, values), samples, BATCH));
    results = runHarness(projects);
  }, 120_000);

  it.each(CASES)('%s: the same -log p(x), gradients, Adam step, and pixels from the same uniforms', (name) => {
    const result = results.get(join(root, name.replace(/\W+/g, '-')))!;
    // measured: gradients and moments at most 4e-5 of their largest value, on the 256-way softmax's sums over 3,136 values (1e-5 binarized); weights at most 7e-5 learning rates
    expectPixelParity(result);
  });
});



describe.skipIf(skipWithoutTorch)('an exported PixelCNN project, from its own files', () => {
  it("at step 0 has the app's held-out bits/dim and nats on the same 200 test images, binarized by the same per-image coins; then trains on the CPU", async () => {
    requireTorch();
    const config = configOf('pixelcnn', 'mnist', { ...TINY, data: 'sampled' });
    const factory = await findModel('pixelcnn')!.load();
    const model = factory.create(modelValues(config), { data: datasetOf(config), random: createRandom(3) });
    const app = await evaluateOn(model, await openNodeDataset(config.dataset, config.values));
    const saved = await model.state!.save();
    const checkpoint = await encodeCheckpoint(0, saved);
    disposeState(saved);
    model.dispose();
    const project = join(root, 'project');
    await writeProject(project, config, checkpoint, async (file) => readFileSync(join(DATA_DIR, file)));
    // the app's per-image coins, value by value: test images 0, 7 and 199 binarized by seed 7
    const index = [0, 7, 199];
    const script = [
      'import importlib.util, json',
      'spec = importlib.util.spec_from_file_location("train", "train.py"); train = importlib.util.module_from_spec(spec); spec.loader.exec_module(train)',
      `print(json.dumps(train.Images("data").take("test", ${JSON.stringify(index)}, "binary-sampled", seed=7).flatten().tolist()))`,
    ].join('\n');
    const binary = (await openNodeDataset('mnist', {})).take('test', index, { encoding: 'binary-sampled', seed: 7 });
    expect(JSON.parse(python(['-c', script], project))).toEqual(Array.from(await binary.data()));
    binary.dispose();
    python(['train.py', '--steps', '0', '--out-dir', 'zero'], project);
    const summary = logLines(join(project, 'zero', 'logs.jsonl')).at(-1)!;
    expect(Math.abs(summary.test_bits_per_dim - app.bits_per_dim) / app.bits_per_dim).toBeLessThan(1e-5);
    expect(Math.abs(summary.test_nats - app.nats) / app.nats).toBeLessThan(1e-5);
    // a few steps from the tiny preset: the loss is finite and logged as the runner logs it
    python(['train.py', '--steps', '4', '--log-every', '2', '--eval-every', '4', '--out-dir', 'four'], project);
    const lines = logLines(join(project, 'four', 'logs.jsonl'));
    expect(lines.map((line) => line.step)).toEqual([2, 4, undefined]);
    expect(lines.slice(0, 2).every((line) => Number.isFinite(line.bits_per_dim) && line.bits_per_dim > 0)).toBe(true);
    expect(lines[1].test_bits_per_dim).toBeGreaterThan(0);
    // and back: the app, from train.py's weights, computes the held-out bits/dim it logged
    const { config: imported, checkpoint: trained, test } = importPytorchRun({
      manifest: readFileSync(join(project, 'four', 'manifest.json'), 'utf8'),
      weights: new Uint8Array(readFileSync(join(project, 'four', 'weights.npz'))),
      logs: readFileSync(join(project, 'four', 'logs.jsonl'), 'utf8'),
    });
    const session = await sessionFor(imported);
    try {
      await session.restore(trained);
      expect(session.step).toBe(4);
      const figures = await heldOut(session);
      expect(Math.abs(figures.bits_per_dim - test[0].values.bits_per_dim) / test[0].values.bits_per_dim).toBeLessThan(1e-5);
    } finally {
      session.dispose();
    }
  }, 90_000);
});
