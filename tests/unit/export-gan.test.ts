/**
 * The PyTorch export of the GAN (src/export/gan.ts): from the same weights, Adam states,
 * batch normalization statistics, real batch and noise, the exported train.py takes TF.js's
 * whole training step (k discriminator updates, then one generator update): the same
 * terms, gradients, weights of both networks and moving statistics after it.
 *
 * Needs PyTorch for Debian's python3 (see export-helpers.ts); the project-level checks
 * (training from files, torchrun) are in export-autoencoders.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { openNodeDataset } from '../../src/cli/node-datasets';
import { datasetOf, modelValues, type RunConfig } from '../../src/core/config';
import { findModel } from '../../src/core/models';
import { createRandom } from '../../src/core/random';
import { encodeCheckpoint } from '../../src/core/training/checkpoint-codec';
import { disposeState } from '../../src/core/training/model-state';
import type { NamedArray } from '../../src/export/npy';
import { answers, arrayOf, configOf, npz, requireTorch, runHarness, serving, skipWithoutTorch, stepTerms, writeProject } from './export-helpers';

let root: string;
beforeAll(async () => {
  await useNodeBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'export-gan-test-'));
});
afterAll(() => spawnSync('rm', ['-rf', root]));

const BATCH = 8;

/**
 * The step's inputs as train.py's step_inputs names them, drawn as the app's step draws
 * them: z from the model's noise source (one seed a draw; then the fake classes), the
 * penalty's mixing weights from the step's random source, every real batch the served one.
 */
function stepInputs(config: RunConfig, numbers: Record<string, number>, real: tf.Tensor, labels: ArrayLike<number>): Record<string, tf.Tensor> {
  const noise = createRandom(0);
  noise.setState(numbers['noise/state']);
  const stepRandom = createRandom(1);
  const size = Number(config.values.noise);
  const classes = config.values.conditional === 'on' ? datasetOf(config).classNames!.length : 0;
  const inputs: Record<string, tf.Tensor> = {};
  const labelTensor = () => tf.tensor1d(Float32Array.from(labels));
  for (let k = 0; k < Number(config.values.d_steps); k++) {
    inputs[`real_${k}`] = real.clone();
    inputs[`labels_${k}`] = labelTensor();
    inputs[`z_${k}`] = tf.randomNormal([BATCH, size], 0, 1, 'float32', noise.seed());
    const shape = [BATCH, ...real.shape.slice(1).map(() => 1)];
    inputs[`between_${k}`] = config.values.loss === 'wasserstein' ? tf.randomUniform(shape, 0, 1, 'float32', stepRandom.seed()) : tf.zeros(shape);
  }
  inputs.real_g = real.clone();
  inputs.labels_g = labelTensor();
  inputs.z_g = tf.randomNormal([BATCH, size], 0, 1, 'float32', noise.seed());
  inputs.fake_labels = tf.tensor1d(Float32Array.from({ length: BATCH }, () => (classes ? noise.int(classes) : 0)));
  return inputs;
}

/** One TF.js step from a state a step in (Adam's moments and the moving statistics exported too), as a project and inputs.npz. */
async function ganCase(name: string, config: RunConfig): Promise<string> {
  const data = await openNodeDataset(config.dataset, config.values);
  const factory = await findModel('gan')!.load();
  const model = factory.create(modelValues(config), { data: datasetOf(config), random: createRandom(3) });
  const split = data.kind === 'image' ? 'train' : 'test';
  const indices = [0, 1].map((k) => Array.from({ length: BATCH }, (_, i) => 40 * k + 3 * i));
  const [first, second] = indices.map((batch) => data.take(split, batch));
  const [firstLabels, secondLabels] = indices.map((batch) => data.labels(split, batch));
  stepTerms(model, serving(data.kind, first, firstLabels), BATCH);
  const saved = await model.state!.save();
  const before = await encodeCheckpoint(1, saved);
  disposeState(saved);
  const inputs = stepInputs(config, before.numbers, second, secondLabels);
  const terms = stepTerms(model, serving(data.kind, second, secondLabels), BATCH);
  const savedAfter = await model.state!.save();
  const after = await encodeCheckpoint(2, savedAfter);
  disposeState(savedAfter);
  const arrays: Record<string, NamedArray> = answers(config, terms, after);
  for (const [key, tensor] of Object.entries(inputs)) arrays[`in.${key}`] = await arrayOf(tensor);
  tf.dispose([first, second, ...Object.values(inputs)]);
  model.dispose();
  const project = join(root, name);
  await writeProject(project, config, before, async () => new Uint8Array(), { 'inputs.npz': npz(arrays) });
  return project;
}

const CASES: [string, string, Record<string, unknown>][] = [
  ['points, non-saturating', 'ring', { hidden: [16, 16] }],
  ['points, Wasserstein with gradient penalty, R1, minibatch std, feature matching, conditional', 'ring', { hidden: [16, 8], loss: 'wasserstein', gp: 1, r1: 0.5, mbstd: 'on', feature_matching: 0.1, conditional: 'on', activation: 'tanh' }],
  ['points, minimax, two discriminator steps', 'grid', { hidden: [8], loss: 'minimax', d_steps: 2 }],
  ['images, DCGAN with batch normalization', 'mnist', { channels: [4, 8], noise: 8 }],
  ['images, conditional, least squares', 'mnist', { channels: [4, 6], noise: 6, conditional: 'on', loss: 'least-squares' }],
];

describe.skipIf(skipWithoutTorch)('the exported GAN against TF.js (cpu backend), one whole step from the same state', () => {
  let results: Map<string, Record<string, number>>;

  beforeAll(async () => {
    requireTorch();
    const projects: string[] = [];
    for (const [name, dataset, values] of CASES) projects.push(await ganCase(name.replace(/\W+/g, '-'), configOf('gan', dataset, { batch: BATCH, ...values })));
    results = runHarness(projects);
  }, 120_000);

  it.each(CASES)('%s: the same terms, gradients, Adam steps and moving statistics', (name, _dataset, values) => {
    const result = results.get(join(root, name.replace(/\W+/g, '-')))!;
    // D's loss, D(x), D(G(z)) and G's loss, relative (absolute near 0)
    expect(result.terms).toBeLessThan(1e-5);
    // relative to the largest value of each tensor, over both networks
    expect(result.grad).toBeLessThan(2e-5);
    expect(result.m).toBeLessThan(2e-5);
    expect(result.v).toBeLessThan(2e-5);
    // the weights after the step, in units of each network's learning rate
    expect(result.weights).toBeLessThan(2e-4);
    expect(result.buffers).toBeLessThan(1e-5);
    // D took d_steps updates a step, G one
    expect(result.adam_steps).toEqual([2 * Number(values.d_steps ?? 1), 2]);
  });
});
