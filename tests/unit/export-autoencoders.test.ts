/**
 * The PyTorch export of the autoencoders (src/export/): from the same weights, Adam state
 * and batch, the exported train.py computes TF.js's loss and gradients, takes the same Adam
 * step and (VAE) decodes the same samples; the project trains from its files on the CPU and
 * resumes from its own checkpoint; and two processes under torchrun (gloo) draw the same
 * loss curve as one with the same global batch.
 *
 * Needs PyTorch for Debian's python3: `apt-get install -y python3-torch` (CI installs it).
 * Without it these tests are skipped here, and fail in CI.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { CLASSIFIER_DIR, loadNodeClassifier } from '../../src/cli/node-classifiers';
import { DATA_DIR, openNodeDataset } from '../../src/cli/node-datasets';
import { featureStats, frechetDistance } from '../../src/core/metrics/frechet';
import { modeCoverage } from '../../src/core/metrics/modes';
import { datasetOf, modelValues, type RunConfig } from '../../src/core/config';
import { findModel } from '../../src/core/models';
import type { GenerativeModel } from '../../src/core/models/model';
import { priorValues } from '../../src/core/models/autoencoders/vae-views';
import { createRandom } from '../../src/core/random';
import { encodeCheckpoint } from '../../src/core/training/checkpoint-codec';
import { disposeState } from '../../src/core/training/model-state';
import { npyBytes, type NamedArray } from '../../src/export/npy';
import { permute } from '../../src/export/torch-layout';
import { answers, arrayOf, configOf, npz, python, requireTorch, runHarness, serving, skipWithoutTorch, stepTerms, writeProject, torchrunTwo } from './export-helpers';
import { evaluateOn, heldOut as heldOutOf, sessionFor, train as trainSteps } from './helpers';
import { importPytorchRun } from '../../src/export/import';

let root: string;
beforeAll(async () => {
  await useNodeBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'export-test-'));
});
afterAll(() => spawnSync('rm', ['-rf', root]));

describe('the export files', () => {
  it('lay out a .npy file as numpy does: a header padded to 64 bytes, then little-endian float32', () => {
    const bytes = npyBytes({ shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    const headerLength = bytes[8] + 256 * bytes[9];
    expect((10 + headerLength) % 64).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(10, 10 + headerLength))).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    expect(Array.from(new Float32Array(bytes.slice(10 + headerLength).buffer))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('move a TF.js conv kernel [kh, kw, in, out] to PyTorch [out, in, kh, kw], value by value', () => {
    const [kh, kw, cin, cout] = [2, 3, 4, 5];
    const at = (h: number, w: number, i: number, o: number) => ((h * kw + w) * cin + i) * cout + o;
    const kernel = { shape: [kh, kw, cin, cout], values: Float32Array.from({ length: kh * kw * cin * cout }, (_, n) => n) };
    const torch = permute(kernel, [3, 2, 0, 1]);
    expect(torch.shape).toEqual([cout, cin, kh, kw]);
    // torch[o, i, h, w] = tf[h, w, i, o]
    for (const [o, i, h, w] of [[0, 0, 0, 0], [4, 3, 1, 2], [2, 1, 0, 1]]) expect(torch.values[((o * cin + i) * kh + h) * kw + w]).toBe(at(h, w, i, o));
  });
});

/** The noise the model's next step will draw, from where its noise source stands (TF.js's seeded ops, as noise.ts and vae.ts call them). */
function nextNoise(config: RunConfig, numbers: Record<string, number>, x: tf.Tensor): Record<string, tf.Tensor> {
  if (config.model !== 'dae' && config.model !== 'vae') return {};
  const source = createRandom(0);
  source.setState(numbers['noise/state']);
  const seed = source.seed();
  const [batch, height, width] = x.shape;
  if (config.model === 'vae') return { eps: tf.randomNormal([batch, Number(config.values.latent)], 0, 1, 'float32', seed + 1) };
  if (config.values.noise === 'gaussian') return { eps: tf.randomNormal(x.shape, 0, 1, 'float32', seed) };
  return { u: tf.randomUniform([batch, height, width!, 1], 0, 1, 'float32', seed) };
}

/**
 * One step of TF.js from a state that has taken a step already (so Adam's moments and its
 * count are exported too), written as a project (the state before) and inputs.npz (the
 * batch, the noise, and TF.js's loss, weights and moments after).
 */
async function parityCase(name: string, config: RunConfig): Promise<string> {
  const data = await openNodeDataset(config.dataset, config.values);
  const factory = await findModel(config.model)!.load();
  const model: GenerativeModel = factory.create(modelValues(config), { data: datasetOf(config), random: createRandom(3) });
  const batch = 8;
  const split = data.kind === 'image' ? 'train' : 'test';
  const [first, second] = [0, 1].map((k) => data.take(split, Array.from({ length: batch }, (_, i) => 40 * k + 3 * i)));
  const step = (x: tf.Tensor) => stepTerms(model, serving(data.kind, x), batch);
  step(first);
  const saved = await model.state!.save();
  const before = await encodeCheckpoint(1, saved);
  disposeState(saved);
  const noise = nextNoise(config, before.numbers, second);
  const terms = step(second);
  const savedAfter = await model.state!.save();
  const after = await encodeCheckpoint(2, savedAfter);
  disposeState(savedAfter);

  const inputs: Record<string, NamedArray> = { x: await arrayOf(second), ...answers(config, terms, after) };
  for (const [key, tensor] of Object.entries(noise)) inputs[`noise.${key}`] = await arrayOf(tensor);
  if (config.model === 'vae' && data.kind === 'image') {
    const latent = Number(config.values.latent);
    // the same draws of z as the model's sampler makes from the same random source
    inputs.z = { shape: [4, latent], values: priorValues(4, latent, createRandom(11)) };
    const samples = await model.sample!(4, { random: createRandom(11), data });
    inputs.samples = await arrayOf(samples);
    samples.dispose();
  }
  tf.dispose([first, second, ...Object.values(noise)]);
  model.dispose();

  const project = join(root, name);
  await writeProject(project, config, before, async () => new Uint8Array(), { 'inputs.npz': npz(inputs) });
  return project;
}

const CASES: [string, string, string, Record<string, unknown>][] = [
  ['ae, cross-entropy', 'ae', 'mnist', { hidden: [16], bottleneck: 4, recon: 'bce' }],
  ['ae on points', 'ae', 'ring', { hidden: [8], bottleneck: 1, activation: 'tanh' }],
  ['conv-ae, transposed convolutions', 'conv-ae', 'mnist', { channels: [4, 8], bottleneck: 3, upsampling: 'transpose' }],
  ['conv-ae, bilinear, cropped, the map as the code', 'conv-ae', 'mnist', { channels: [4, 4, 4], bottleneck: 0, upsampling: 'bilinear', activation: 'elu' }],
  ['dae, masking', 'dae', 'mnist', { hidden: [8, 12], noise: 'masking', level: 0.3, activation: 'tanh' }],
  ['dae, salt and pepper', 'dae', 'mnist', { hidden: [12], noise: 'salt-pepper', level: 0.4 }],
  ['dae, Gaussian noise', 'dae', 'mnist', { hidden: [12], noise: 'gaussian', level: 0.2, recon: 'bce' }],
  ['vae, dense', 'vae', 'mnist', { hidden: [16], latent: 2 }],
  ['vae, convolutional', 'vae', 'mnist', { arch: 'conv', channels: [4, 8], latent: 3 }],
  ['vae on points, learned variance', 'vae', 'ring', { hidden: [8], latent: 2 }],
];

describe.skipIf(skipWithoutTorch)('the exported autoencoders against TF.js (cpu backend), one step from the same state', () => {
  let results: Map<string, Record<string, number>>;

  beforeAll(async () => {
    requireTorch();
    const projects: string[] = [];
    for (const [name, model, dataset, values] of CASES) projects.push(await parityCase(name.replace(/\W+/g, '-'), configOf(model, dataset, values)));
    results = runHarness(projects);
  }, 120_000);

  it.each(CASES)('%s: the same loss, gradients, Adam step and samples', (name) => {
    const result = results.get(join(root, name.replace(/\W+/g, '-')))!;
    // the loss (and the VAE's two terms), relative
    expect(result.terms).toBeLessThan(1e-5);
    // relative to the largest value of each tensor
    // relative to the largest value of each tensor (measured: at most 5e-6, float32 rounding)
    expect(result.grad).toBeLessThan(2e-5);
    expect(result.m).toBeLessThan(2e-5);
    expect(result.v).toBeLessThan(2e-5);
    // the weights after the step, in units of the learning rate (measured: at most 6e-5)
    expect(result.weights).toBeLessThan(2e-4);
    expect(result.adam_steps).toEqual([2]);
    if ('samples' in result) expect(result.samples).toBeLessThan(1e-6);
  });
});

/** The JSON lines of a run's log. */
function logLines(path: string): Record<string, number>[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
}


/** A run exported at step 0 (fresh weights from the seed) with the dataset's files, and TF.js's held-out figures of those weights. */
async function freshProject(name: string, config: RunConfig): Promise<{ project: string; heldOut: Record<string, number> }> {
  const factory = await findModel(config.model)!.load();
  const model = factory.create(modelValues(config), { data: datasetOf(config), random: createRandom(3) });
  const heldOut = await evaluateOn(model, await openNodeDataset(config.dataset, config.values));
  const saved = await model.state!.save();
  const checkpoint = await encodeCheckpoint(0, saved);
  disposeState(saved);
  model.dispose();
  const project = join(root, name);
  await writeProject(project, config, checkpoint, async (file) => readFileSync(join(DATA_DIR, file)), {}, async (file) => readFileSync(join(CLASSIFIER_DIR, file)));
  return { project, heldOut };
}

describe.skipIf(skipWithoutTorch)('an exported project, from its own files', () => {
  let project: string;
  let heldOut: Record<string, number>;

  beforeAll(async () => {
    requireTorch();
    // the tiny preset of the dense autoencoder
    ({ project, heldOut } = await freshProject('project', configOf('ae', 'mnist', { hidden: [16], bottleneck: 4, batch: 8 })));
  });

  it('reads the same test images (or the same fixed 2-D points) the same way: at step 0 its held-out loss is the app\'s', async () => {
    python(['train.py', '--steps', '0', '--out-dir', 'zero'], project);
    const summary = logLines(join(project, 'zero', 'logs.jsonl')).at(-1)!;
    expect(Math.abs(summary.test_loss - heldOut.loss) / heldOut.loss).toBeLessThan(1e-5);
    const points = await freshProject('points', configOf('ae', 'ring', { hidden: [8], bottleneck: 1 }));
    python(['train.py', '--steps', '0', '--out-dir', 'zero'], points.project);
    const pointsSummary = logLines(join(points.project, 'zero', 'logs.jsonl')).at(-1)!;
    expect(Math.abs(pointsSummary.test_loss - points.heldOut.loss) / points.heldOut.loss).toBeLessThan(1e-5);
  });

  it('computes the sample-quality figures as the app does: the Frechet classifier distance in the same classifier\'s features, the modes covered', async () => {
    // two sets of 150 test images, as "real" and "samples" (more images than features, 128)
    const script = [
      'import os, json, importlib.util, torch',
      'spec = importlib.util.spec_from_file_location("train", "train.py"); train = importlib.util.module_from_spec(spec); spec.loader.exec_module(train)',
      'args = train.parse_args([]); data = train.DATA(args.data_dir)',
      'if train.DATASET["kind"] == "image":',
      '    classifier = train.EvaluationClassifier("classifiers")',
      '    a, b = (classifier.features(data.take("test", list(range(s, s + 150)))).numpy() for s in (0, 150))',
      '    print(json.dumps({"fcd": train.frechet_distance(a, b)}))',
      'else:',
      '    print(json.dumps(train.mode_coverage(data.test, torch.tensor(train.DATASET["modes"]), train.DATASET["spread"])))',
    ].join('\n');
    const fcd = JSON.parse(python(['-c', script], project)).fcd;
    // the app's side on WASM: the classifier's convolutions take seconds on the plain-JavaScript backend
    await useNodeBackend('wasm');
    const { classifier } = loadNodeClassifier('mnist');
    const data = await openNodeDataset('mnist', {});
    const stats = await Promise.all(
      [0, 150].map(async (start) => {
        const features = tf.tidy(() => classifier.embed(data.take('test', Array.from({ length: 150 }, (_, i) => start + i)) as tf.Tensor4D).features);
        const values = (await features.data()) as Float32Array;
        features.dispose();
        return featureStats(values, 150, 128);
      }),
    );
    classifier.dispose();
    await useNodeBackend('cpu');
    const expected = frechetDistance(stats[0], stats[1]);
    expect(expected).toBeGreaterThan(0);
    expect(Math.abs(fcd - expected) / expected).toBeLessThan(1e-4);

    const points = await freshProject('modes', configOf('vae', 'ring', { hidden: [8], spread: 0.05 }));
    const modes = JSON.parse(python(['-c', script], points.project));
    const ring = await openNodeDataset('ring', { spread: 0.05 });
    const spec = datasetOf(configOf('vae', 'ring', {}));
    if (ring.kind !== 'points' || spec.kind !== 'points') throw new Error('the ring is a points set');
    const app = modeCoverage(ring.coordinates('test'), spec.modes!, 0.05);
    expect(modes.modes_covered).toBe(app.modesCovered);
    expect(modes.high_quality_share).toBeCloseTo(app.highQualityShare, 6);
  });

  it('trains on the CPU from the dataset files, logs JSON lines as the runner does, and resumes from its own checkpoint', () => {
    python(['train.py', '--steps', '6', '--log-every', '3', '--eval-every', '6', '--out-dir', 'one'], project);
    const lines = logLines(join(project, 'one', 'logs.jsonl'));
    expect(lines.map((line) => line.step)).toEqual([3, 6, undefined]);
    expect(lines[1].test_loss).toBeGreaterThan(0);
    expect(lines.slice(0, 2).every((line) => Number.isFinite(line.loss) && line.loss > 0)).toBe(true);
    expect(lines[2]).toMatchObject({ summary: true, model: 'ae', dataset: 'mnist', steps: 6, batch: 8, processes: 1 });
    // from its own weights and Adam state: the steps go on from 6
    python(['train.py', '--steps', '2', '--log-every', '2', '--weights', 'one/weights.npz', '--out-dir', 'resumed'], project);
    expect(logLines(join(project, 'resumed', 'logs.jsonl'))[0].step).toBe(8);
  });

  it('comes back: its weights, Adam state and curves load into the app, which computes the held-out loss train.py logged', async () => {
    // after the test above: train.py trained from step 0 to 6 into one/
    const out = join(project, 'one');
    const { config, checkpoint, train, test } = importPytorchRun({
      manifest: readFileSync(join(out, 'manifest.json'), 'utf8'),
      weights: new Uint8Array(readFileSync(join(out, 'weights.npz'))),
      logs: readFileSync(join(out, 'logs.jsonl'), 'utf8'),
    });
    expect(train.map((point) => point.step)).toEqual([3, 6]);
    expect(test).toEqual([{ step: 6, values: { loss: expect.any(Number) } }]);
    const session = await sessionFor(config);
    try {
      await session.restore(checkpoint);
      expect(session.step).toBe(6);
      const figures = await heldOutOf(session);
      expect(Math.abs(figures.loss - test[0].values.loss) / test[0].values.loss).toBeLessThan(1e-5);
      // and it trains on, from Adam's moments at step 6
      const [next] = await trainSteps(session, 1);
      expect(Number.isFinite(next.loss)).toBe(true);
    } finally {
      session.dispose();
    }
  });

  it('under torchrun with two processes (gloo) draws the loss curve of one process with the same global batch', () => {
    const single = join(project, 'single');
    python(['train.py', '--steps', '8', '--log-every', '2', '--eval-every', '8', '--out-dir', single], project);
    torchrunTwo(['--steps', '8', '--log-every', '2', '--eval-every', '8', '--out-dir', 'pair'], project, join(root, 'torchrun'));
    const [one, two] = [logLines(join(single, 'logs.jsonl')), logLines(join(project, 'pair', 'logs.jsonl'))];
    expect(two.at(-1)).toMatchObject({ summary: true, processes: 2, batch: 8 });
    const curve = (lines: Record<string, number>[]) => lines.filter((line) => line.step !== undefined);
    expect(curve(two).map((line) => line.step)).toEqual([2, 4, 6, 8]);
    curve(two).forEach((line, i) => {
      expect(Math.abs(line.loss - curve(one)[i].loss) / curve(one)[i].loss).toBeLessThan(1e-5);
    });
    expect(Math.abs(curve(two)[3].test_loss - curve(one)[3].test_loss) / curve(one)[3].test_loss).toBeLessThan(1e-5);
  });
});
