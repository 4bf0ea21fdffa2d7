/**
 * The PyTorch export of the energy-based model (src/export/ebm.ts): from the same weights,
 * Adam state, replay buffer, batch and randomness (the data's blur, the buffer's rows and
 * restarts, the fresh starts and every Langevin step's noise, passed in: the two random
 * streams differ), train.py takes TF.js's whole training step: the same terms, gradients,
 * Adam step and replay buffer after it; a Langevin walk with the same noise ends at the same
 * points; on points the held-out grid KL is the app's. Two processes under torchrun keep one
 * buffer and draw the loss curve of one process.
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
import { openNodeDataset } from '../../src/cli/node-datasets';
import type { PointsDataSpec } from '../../src/core/datasets/catalog';
import { datasetOf, modelValues, type RunConfig } from '../../src/core/config';
import { findModel } from '../../src/core/models';
import { langevinNow, type EnergyFunction } from '../../src/core/models/energy/langevin';
import { normalNoise } from '../../src/core/normal-noise';
import { createRandom } from '../../src/core/random';
import { encodeCheckpoint } from '../../src/core/training/checkpoint-codec';
import { disposeState } from '../../src/core/training/model-state';
import type { NamedArray } from '../../src/export/npy';
import { answers, arrayOf, configOf, logLines, npz, python, requireTorch, runHarness, serving, skipWithoutTorch, stepTerms, writeProject, torchrunTwo } from './export-helpers';
import { evaluateOn, heldOut, sessionFor, train as trainSteps } from './helpers';
import { importPytorchRun } from '../../src/export/import';

let root: string;
beforeAll(async () => {
  await useNodeBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'export-ebm-test-'));
});
afterAll(() => spawnSync('rm', ['-rf', root]));

const BATCH = 8;
/** Chains of the Langevin walk compared after the step. */
const WALKERS = 6;

/** Where chains start and stay: pixels in [0, 1], or the frame of the plane. */
function rangeOf(config: RunConfig): [number, number] {
  const spec = datasetOf(config);
  return spec.kind === 'image' ? [0, 1] : [...(spec as PointsDataSpec).extent];
}

/**
 * n Langevin noise tensors, one per step, as langevinStep draws them from `random`, stacked
 * as train.py takes them: [n, steps, ...example].
 */
function langevinNoise(config: RunConfig, shape: number[], steps: number, random: ReturnType<typeof createRandom>): tf.Tensor {
  const draws = Array.from({ length: steps }, () => normalNoise(shape, Number(config.values.langevin_noise), random.seed()));
  const stacked = tf.stack(draws, 1);
  tf.dispose(draws);
  return stacked;
}

/**
 * The randomness of the model's next step, drawn as ebm.ts and replay-buffer.ts draw it:
 * the blur from the step's random source, then from the model's noise source the buffer's
 * rows, the restarts, the fresh starts and each Langevin step's noise.
 */
function stepInputs(config: RunConfig, numbers: Record<string, number>, x: tf.Tensor): Record<string, tf.Tensor> {
  const values = modelValues(config);
  const stepRandom = createRandom(1);
  const dataNoise = Number(values.data_noise);
  const blur = dataNoise > 0 ? tf.randomNormal(x.shape, 0, dataNoise, 'float32', stepRandom.seed()) : tf.zeros(x.shape);
  const noise = createRandom(0);
  noise.setState(numbers['noise/state']);
  const size = Number(values.buffer);
  const chosen = new Set<number>();
  while (chosen.size < Math.min(BATCH, size)) chosen.add(noise.int(size));
  const restart = Array.from({ length: chosen.size }, () => (noise.next() < Number(values.restart) ? 1 : 0));
  const [low, high] = rangeOf(config);
  const shape = [chosen.size, ...x.shape.slice(1)];
  // noise drawn for the restarted chains alone, in their order, and put in their rows (the others' are never read)
  const restarted = restart.flatMap((chosenToRestart, i) => (chosenToRestart ? [i] : []));
  const fresh = restarted.length === 0
    ? tf.zeros(shape)
    : tf.tidy(() => tf.tensorScatterUpdate(tf.zeros(shape), tf.tensor2d(restarted, [restarted.length, 1], 'int32'), tf.randomUniform([restarted.length, ...shape.slice(1)], low, high, 'float32', noise.seed())));
  return { x: x.clone(), blur, rows: tf.tensor1d([...chosen]), restart: tf.tensor1d(restart), fresh, noise: langevinNoise(config, shape, Number(values.langevin_steps), noise) };
}

/** One TF.js step from a state a step in, then a Langevin walk and (points) the grid KL; as a project and inputs.npz. */
async function ebmCase(name: string, config: RunConfig): Promise<string> {
  const data = await openNodeDataset(config.dataset, config.values);
  const factory = await findModel('ebm')!.load();
  const model = factory.create(modelValues(config), { data: datasetOf(config), random: createRandom(3) });
  const split = data.kind === 'image' ? 'train' : 'test';
  const [first, second] = [0, 1].map((k) => data.take(split, Array.from({ length: BATCH }, (_, i) => 40 * k + 3 * i)));
  stepTerms(model, serving(data.kind, first), BATCH);
  const saved = await model.state!.save();
  const before = await encodeCheckpoint(1, saved);
  disposeState(saved);
  const inputs = stepInputs(config, before.numbers, second);
  const terms = stepTerms(model, serving(data.kind, second), BATCH);
  const savedAfter = await model.state!.save();
  const after = await encodeCheckpoint(2, savedAfter);
  disposeState(savedAfter);
  const arrays: Record<string, NamedArray> = answers(config, terms, after);
  for (const [key, tensor] of Object.entries(inputs)) arrays[`in.${key}`] = await arrayOf(tensor);

  // a walk of the trained energy from uniform starts, with the noise of a known source
  const values = modelValues(config);
  const [low, high] = rangeOf(config);
  const start = tf.randomUniform([WALKERS, ...second.shape.slice(1)], low, high, 'float32', 99);
  const settings = { steps: Number(values.langevin_steps), stepSize: Number(values.step_size), noise: Number(values.langevin_noise), clip: Number(values.grad_clip), bounds: [low, high] as const };
  const energy = (model as unknown as { energy: EnergyFunction }).energy;
  const end = langevinNow(energy, start, settings, createRandom(21));
  const walkNoise = langevinNoise(config, start.shape, settings.steps, createRandom(21));
  arrays.walk_start = await arrayOf(start);
  arrays.walk_noise = await arrayOf(walkNoise);
  arrays.walk_end = await arrayOf(end);
  if (data.kind === 'points') arrays['figure.grid_kl'] = { shape: [1], values: Float32Array.of((await evaluateOn(model, data, 'grid-density')).grid_kl) };
  tf.dispose([first, second, start, end, walkNoise, ...Object.values(inputs)]);
  model.dispose();
  const project = join(root, name);
  await writeProject(project, config, before, async () => new Uint8Array(), { 'inputs.npz': npz(arrays) });
  return project;
}

/** Tiny presets: a small buffer (the whole of it compared after the step), short chains. */
const CASES: [string, string, Record<string, unknown>][] = [
  ['points, the defaults (data noise 0.1, no clipping)', 'ring', { hidden: [16, 16], buffer: 64, langevin_steps: 5, restart: 0.3 }],
  ['points, clipped gradients, no data noise, beta1 0.5', 'moons', { hidden: [12], buffer: 64, langevin_steps: 4, grad_clip: 0.5, step_size: 0.05, data_noise: 0, beta1: 0.5, alpha: 1 }],
  ['images, stride-2 convolutions, beta1 0, clipping and bounds, data noise', 'mnist', { channels: [4, 8], buffer: 64, langevin_steps: 3, restart: 0.5, data_noise: 0.05 }],
];

describe.skipIf(skipWithoutTorch)('the exported EBM against TF.js (cpu backend), one whole step from the same state and noise', () => {
  let results: Map<string, Record<string, number>>;

  beforeAll(async () => {
    requireTorch();
    const projects: string[] = [];
    for (const [name, dataset, values] of CASES) projects.push(await ebmCase(name.replace(/\W+/g, '-'), configOf('ebm', dataset, { batch: BATCH, ...values })));
    results = runHarness(projects);
  }, 120_000);

  it.each(CASES)('%s: the same terms, gradients, Adam step, replay buffer and Langevin walk', (name) => {
    const result = results.get(join(root, name.replace(/\W+/g, '-')))!;
    // the loss and the mean energies of data and samples, relative (absolute near 0)
    expect(result.terms).toBeLessThan(1e-5);
    // relative to the largest value of each tensor, m to the largest of its two terms (measured: at most 2.4e-5 for the
    // gradient, 1.5e-5 for m, 3.4e-5 for v: the gradient is a difference of the data's and the samples' mean gradients,
    // which cancel, and v, its square, doubles its relative error)
    expect(result.grad).toBeLessThan(1e-4);
    expect(result.m).toBeLessThan(5e-5);
    expect(result.v).toBeLessThan(1e-4);
    // in units of the learning rate (measured: 2e-5 on points; 3e-4 on images, where lr = 1e-4 makes that 3e-8, one float32 rounding of a weight near 0.3)
    expect(result.weights).toBeLessThan(1e-3);
    // the replay buffer after the step: the chains' ends in the rows they came from, relative
    expect(result.buffers).toBeLessThan(1e-5);
    expect(result.adam_steps).toEqual([2]);
    // the walk's end, absolute (values of order 1)
    expect(result.walk).toBeLessThan(1e-5);
    if ('figures' in result) expect(result.figures).toBeLessThan(1e-4);
  });
});



describe.skipIf(skipWithoutTorch)('an exported EBM project, from its own files', () => {
  let project: string;

  beforeAll(async () => {
    requireTorch();
    const config = configOf('ebm', 'ring', { hidden: [16, 16], buffer: 64, langevin_steps: 5, batch: BATCH });
    const factory = await findModel('ebm')!.load();
    const model = factory.create(modelValues(config), { data: datasetOf(config), random: createRandom(3) });
    const saved = await model.state!.save();
    const checkpoint = await encodeCheckpoint(0, saved);
    disposeState(saved);
    model.dispose();
    project = join(root, 'project');
    await writeProject(project, config, checkpoint, async () => new Uint8Array());
  });

  it('trains on the CPU from the browser\'s buffer, logs the grid KL and the modes covered, and saves the buffer with the weights', () => {
    python(['train.py', '--steps', '4', '--log-every', '2', '--eval-every', '4', '--out-dir', 'four'], project);
    const lines = logLines(join(project, 'four', 'logs.jsonl'));
    expect(lines.map((line) => line.step)).toEqual([2, 4, undefined]);
    expect(lines.slice(0, 2).every((line) => Number.isFinite(line.loss))).toBe(true);
    expect(lines[1].test_grid_kl).toBeGreaterThan(0);
    // the summary names it as the app's runner does
    expect(lines[2].grid_kl).toBe(lines[1].test_grid_kl);
    expect(lines[1].test_modes_covered).toBeGreaterThanOrEqual(0);
    const manifest = JSON.parse(readFileSync(join(project, 'four', 'manifest.json'), 'utf8'));
    expect(manifest.arrays.replay).toEqual([64, 2]);
  });

  it('comes back: its weights, Adam state and replay buffer load into the app, which computes the grid KL train.py logged, and trains on', async () => {
    // after the test above: train.py trained from step 0 to 4 into four/
    const out = join(project, 'four');
    const { config, checkpoint, test } = importPytorchRun({
      manifest: readFileSync(join(out, 'manifest.json'), 'utf8'),
      weights: new Uint8Array(readFileSync(join(out, 'weights.npz'))),
      logs: readFileSync(join(out, 'logs.jsonl'), 'utf8'),
    });
    expect(checkpoint.specs.map((spec) => spec.name)).toContain('buffer/examples');
    const session = await sessionFor(config);
    try {
      await session.restore(checkpoint);
      expect(session.step).toBe(4);
      const figures = await heldOut(session, 'grid-density');
      expect(Math.abs(figures.grid_kl - test[0].values.grid_kl) / test[0].values.grid_kl).toBeLessThan(1e-4);
      const [next] = await trainSteps(session, 1);
      expect(Number.isFinite(next.loss)).toBe(true);
    } finally {
      session.dispose();
    }
  });

  it('under torchrun with two processes (gloo) keeps one replay buffer and draws the loss curve of one process with the same global batch', () => {
    const single = join(project, 'single');
    python(['train.py', '--steps', '6', '--log-every', '2', '--eval-every', '6', '--out-dir', single], project);
    torchrunTwo(['--steps', '6', '--log-every', '2', '--eval-every', '6', '--out-dir', 'pair'], project, join(root, 'torchrun'));
    const [one, two] = [logLines(join(single, 'logs.jsonl')), logLines(join(project, 'pair', 'logs.jsonl'))];
    expect(two.at(-1)).toMatchObject({ summary: true, processes: 2, batch: BATCH });
    const curve = (lines: Record<string, number>[]) => lines.filter((line) => line.step !== undefined);
    expect(curve(two).map((line) => line.step)).toEqual([2, 4, 6]);
    curve(two).forEach((line, i) => {
      // the loss is a difference of energies near 0: absolute, on the scale of the energies
      expect(Math.abs(line.loss - curve(one)[i].loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(curve(one)[i].energy_data)));
    });
    expect(Math.abs(curve(two)[2].test_grid_kl - curve(one)[2].test_grid_kl) / curve(one)[2].test_grid_kl).toBeLessThan(1e-4);
    // process 0 saved the buffer every process's chains were written to: the single process's
    const replay = python(['-c', `import numpy as np; print(float(np.abs(np.load("${single}/weights.npz")["replay"] - np.load("pair/weights.npz")["replay"]).max()))`], project);
    expect(Number(replay)).toBeLessThan(1e-5);
  }, 60_000);
});
