/**
 * The PyTorch export of PixelCNN++ (src/export/pixelcnnpp.ts): from the same weights, Adam
 * state, batch and dropout uniforms, train.py computes TF.js's -log p(x) and its gradients and
 * takes the same Adam step; from the same uniform numbers it draws the same pixels as the
 * app's sampler; its held-out figures at step 0 are the app's; train_images keeps its batches
 * to the first images; and the app reads train.py's weights back.
 *
 * Needs PyTorch for Debian's python3 (see export-helpers.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { DATA_DIR, openNodeDataset } from '../../src/cli/node-datasets';
import { datasetOf, modelValues, type RunConfig } from '../../src/core/config';
import type { ImageDataSpec } from '../../src/core/datasets/catalog';
import type { ImageDataset } from '../../src/core/datasets/image-dataset';
import { findModel } from '../../src/core/models';
import type { SamplingMethod } from '../../src/core/models/autoregressive/pixel-sampler';
import { createRandom, type Random } from '../../src/core/random';
import { encodeCheckpoint } from '../../src/core/training/checkpoint-codec';
import { disposeState } from '../../src/core/training/model-state';
import { importPytorchRun } from '../../src/export/import';
import type { NamedArray } from '../../src/export/npy';
import { answers, arrayOf, configOf, logLines, npz, python, requireTorch, runHarness, serving, skipWithoutTorch, stepTerms, writeProject } from './export-helpers';
import { expectPixelParity, recording } from './export-pixel-helpers';
import { evaluateOn, heldOut, sessionFor } from './helpers';

let root: string;
beforeAll(async () => {
  await useNodeBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'export-pixelcnnpp-test-'));
});
afterAll(() => spawnSync('rm', ['-rf', root]));

const BATCH = 2;
/** The side of the sampled images. */
const SAMPLE_SIZE = 8;
/** A tiny network: 4 feature maps, one block a scale, 2 logistics. */
const TINY = { filters: 4, blocks: 1, components: 2, batch: BATCH, lr: 0.01 };

/** The network's random source, keeping the seeds it gives while `on` (dropout's, in a step). */
function seedRecording(seed: number): { random: Random; seeds: number[]; on: boolean } {
  const source = createRandom(seed);
  const recorder = { random: source, seeds: [] as number[], on: false };
  recorder.random = {
    ...source,
    seed: () => {
      const value = source.seed();
      if (recorder.on) recorder.seeds.push(value);
      return value;
    },
  };
  return recorder;
}

/** The [h, w] of each residual block's dropout in the order the blocks run: the up pass's scales, then the down pass's (train.py's dropout_shapes). */
function dropoutShapes(config: RunConfig): [number, number][] {
  const [height, width] = datasetOf(config).shape as readonly number[];
  const blocks = Number(config.values.blocks);
  const size = (scale: number): [number, number] => (config.values.downsampling === 'on' ? [height / 2 ** scale, width / 2 ** scale] : [height, width]);
  const up = [0, 1, 2].flatMap((scale) => Array.from({ length: 2 * blocks }, () => size(scale)));
  const down = [2, 1, 0].flatMap((scale) => Array.from({ length: 2 * (scale === 2 ? blocks : blocks + 1) }, () => size(scale)));
  return [...up, ...down];
}

/** The autoregressive model's own sampler, by method (autoregressive-model.ts). */
interface Drawing {
  draw(canvas: Float32Array, count: number, random: Random, options: { method: SamplingMethod }): Promise<void>;
}

/**
 * One TF.js step from a state a step in (with dropout, the uniforms TF.js drew from the
 * seeds the network took during it), then samples drawn with recorded uniforms; as a
 * project and inputs.npz.
 */
async function pixelCase(name: string, config: RunConfig, samples: number): Promise<string> {
  const data = (await openNodeDataset(config.dataset, config.values)) as ImageDataset;
  const factory = await findModel('pixelcnnpp')!.load();
  const network = seedRecording(3);
  const model = factory.create(modelValues(config), { data: datasetOf(config), random: network.random });
  const [first, second] = [0, 1].map((k) => data.take('train', Array.from({ length: BATCH }, (_, i) => 40 * k + 3 * i), { encoding: 'bytes' }));
  stepTerms(model, serving('image', first), BATCH);
  const saved = await model.state!.save();
  const before = await encodeCheckpoint(1, saved);
  disposeState(saved);
  network.on = true;
  const terms = stepTerms(model, serving('image', second), BATCH);
  network.on = false;
  const savedAfter = await model.state!.save();
  const after = await encodeCheckpoint(2, savedAfter);
  const inputs: Record<string, NamedArray> = { x: await arrayOf(second), ...answers(config, terms, after) };
  // dropout's uniforms: tf.dropout draws randomUniform(shape, 0, 1, 'float32', seed), one seed a block
  const shapes = Number(config.values.dropout) > 0 ? dropoutShapes(config) : [];
  expect(network.seeds.length).toBe(shapes.length);
  for (const [i, [h, w]] of shapes.entries()) {
    const uniforms = tf.randomUniform([BATCH, h, w, Number(config.values.filters)], 0, 1, 'float32', network.seeds[i]);
    inputs[`noise.dropout.${i}`] = await arrayOf(uniforms);
    uniforms.dispose();
  }
  tf.dispose([first, second]);
  model.dispose();
  // Samples of SAMPLE_SIZE x SAMPLE_SIZE pixels, from the same weights (none depends on the image's size): a pass per
  // value of a whole 28 x 28 image takes minutes on the cpu backend.
  const spec = datasetOf(config) as ImageDataSpec;
  const shape: [number, number, number] = [SAMPLE_SIZE, SAMPLE_SIZE, spec.shape[2]];
  const small = factory.create(modelValues(config), { data: { ...spec, shape }, random: createRandom(3) });
  await small.state!.load(savedAfter);
  disposeState(savedAfter);
  // the sampler's uniforms: one per image per value, pixel by pixel, channel by channel -> [H, W, C, n]
  const { random, numbers } = recording(11);
  // the cached pass, the one the page's sampler runs (it draws what the naive one does from the same numbers: pixelcnnpp-cache.test.ts)
  const canvas = new Float32Array(samples * shape[0] * shape[1] * shape[2]);
  await (small as unknown as Drawing).draw(canvas, samples, random, { method: 'cached' });
  small.dispose();
  inputs.samples = { shape: [samples, ...shape], values: canvas };
  inputs.uniforms = { shape: [...shape, samples], values: Float32Array.from(numbers) };
  inputs.temperature = { shape: [1], values: Float32Array.of(Number(config.values.temperature)) };
  const project = join(root, name);
  await writeProject(project, config, before, async () => new Uint8Array(), { 'inputs.npz': npz(inputs) });
  return project;
}

const CASES: [string, string, Record<string, unknown>, number][] = [
  ['grey, mixture of 2, gated, downsampling and short-cuts, dropout 0.5', 'mnist', { ...TINY, dropout: 0.5 }, 2],
  ['colour, whole-pixel mixture, temperature 0.8', 'emoji16', { ...TINY, temperature: 0.8 }, 2],
  ['colour, mixture by masks, plain blocks, no downsampling, no short-cuts, dropout 0.3', 'emoji16', { ...TINY, conditioning: 'masks', residual: 'plain', downsampling: 'off', shortcuts: 'off', dropout: 0.3 }, 2],
  ['colour, 256-way softmax, downsampling without short-cuts, argmax', 'emoji16', { ...TINY, likelihood: 'softmax', shortcuts: 'off', temperature: 0 }, 2],
];

describe.skipIf(skipWithoutTorch)('the exported PixelCNN++ against TF.js (cpu backend)', () => {
  let results: Map<string, Record<string, number>>;

  beforeAll(async () => {
    requireTorch();
    const projects: string[] = [];
    for (const [name, dataset, values, samples] of CASES) projects.push(await pixelCase(name.replace(/\W+/g, '-'), configOf('pixelcnnpp', dataset, values), samples));
    results = runHarness(projects);
  }, 120_000);

  it.each(CASES)('%s: the same -log p(x), gradients, Adam step, and pixels from the same uniforms', (name) => {
    const result = results.get(join(root, name.replace(/\W+/g, '-')))!;
    expectPixelParity(result);
  });
});



describe.skipIf(skipWithoutTorch)('an exported PixelCNN++ project, from its own files', () => {
  it("draws fresh weights as the app does; at step 0 has the app's held-out bits/dim and nats on the same 200 test images; trains on the first train_images images only; the app reads its weights back", async () => {
    requireTorch();
    const config = configOf('pixelcnnpp', 'emoji16', { ...TINY, conditioning: 'masks', train_images: 3 });
    const factory = await findModel('pixelcnnpp')!.load();
    const model = factory.create(modelValues(config), { data: datasetOf(config), random: createRandom(3) });
    const app = await evaluateOn(model, await openNodeDataset(config.dataset, config.values));
    const saved = await model.state!.save();
    const checkpoint = await encodeCheckpoint(0, saved);
    disposeState(saved);
    model.dispose();
    const project = join(root, 'project');
    await writeProject(project, config, checkpoint, async (file) => readFileSync(join(DATA_DIR, file)));
    python(['train.py', '--steps', '0', '--out-dir', 'zero'], project);
    const summary = logLines(join(project, 'zero', 'logs.jsonl')).at(-1)!;
    expect(Math.abs(summary.test_bits_per_dim - app.bits_per_dim) / app.bits_per_dim).toBeLessThan(1e-5);
    expect(Math.abs(summary.test_nats - app.nats) / app.nats).toBeLessThan(1e-5);
    // fresh weights (--fresh) are drawn as the app draws them: each kernel uniform on the same interval, so its largest
    // |w| is the app's to within what 24 or more draws leave (a wrong Glorot fan or a missing init scale of 0.1 is 1.4x to 10x)
    const init = [
      'import importlib.util, json, numpy as np, torch',
      'spec = importlib.util.spec_from_file_location("train", "train.py"); train = importlib.util.module_from_spec(spec); spec.loader.exec_module(train)',
      'torch.manual_seed(1); model = train.Model(train.parse_args([])); app = np.load("weights.npz")',
      'print(json.dumps({name: float(p.abs().max()) / float(np.abs(app[name]).max()) for name, p in model.named_parameters() if name.endswith("weight") and p.numel() >= 24}))',
    ].join('\n');
    const ratios = Object.values(JSON.parse(python(['-c', init], project)) as Record<string, number>);
    expect(ratios.length).toBeGreaterThan(40);
    for (const ratio of ratios) expect(ratio > 0.7 && ratio < 1.43, String(ratio)).toBe(true);
    // a step's 40 images are all among the first 3 training images (and not all the same one)
    const script = [
      'import importlib.util, json, torch',
      'spec = importlib.util.spec_from_file_location("train", "train.py"); train = importlib.util.module_from_spec(spec); spec.loader.exec_module(train)',
      'model = train.Model(train.parse_args([])); data = train.Images("data")',
      'x = model.step_inputs(data, 40, torch.Generator().manual_seed(1))["x"]; first = data.take("train", [0, 1, 2], "bytes")',
      // [40, 3]: each drawn image's largest difference from each of the first 3; the one it equals, or -1
      'd = (x[:, None] - first[None]).abs().flatten(2).amax(2)',
      'print(json.dumps([int(row.argmin()) if row.min() == 0 else -1 for row in d]))',
    ].join('\n');
    const which = JSON.parse(python(['-c', script], project)) as number[];
    expect(which.every((index) => index >= 0 && index < 3)).toBe(true);
    expect(new Set(which).size).toBeGreaterThan(1);
    // a few steps: the loss is finite and logged as the runner logs it
    python(['train.py', '--steps', '4', '--log-every', '2', '--eval-every', '4', '--out-dir', 'four'], project);
    const lines = logLines(join(project, 'four', 'logs.jsonl'));
    expect(lines.map((line) => line.step)).toEqual([2, 4, undefined]);
    expect(lines.slice(0, 2).every((line) => Number.isFinite(line.bits_per_dim) && line.bits_per_dim > 0)).toBe(true);
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
