/**
 * The PyTorch export of the restricted Boltzmann machine (src/export/rbm.ts): from the same
 * weights, Adam state, persistent chains, binary batch and Gibbs uniforms (passed in: the
 * two random streams differ), train.py takes TF.js's whole training step: the same terms
 * (reconstruction error, free energy, pseudo-likelihood), gradient (data minus model
 * statistics, weight decay), Adam step and persistent chains after it; at the first step it
 * sets the visible biases from the data's log-odds as the app does. A Gibbs chain with the
 * same uniforms ends in the same state, and AIS with the same draws gives the same log Z.
 * The project trains on CPU, two torchrun processes draw one process's curve, and the
 * continued run comes back into the app with its chains and its biases' flag.
 *
 * Needs PyTorch for Debian's python3 (see export-helpers.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { DATA_DIR, openNodeDataset } from '../../src/cli/node-datasets';
import { datasetOf, modelValues, type RunConfig } from '../../src/core/config';
import type { Dataset } from '../../src/core/datasets/dataset';
import type { ImageDataset } from '../../src/core/datasets/image-dataset';
import { findModel } from '../../src/core/models';
import { aisLogPartition, annealingSchedule, baseRateBiases } from '../../src/core/models/energy/ais';
import { gibbsChain, type RbmWeights } from '../../src/core/models/energy/rbm-energy';
import type { GenerativeModel } from '../../src/core/models/model';
import { createRandom, type Random } from '../../src/core/random';
import { encodeCheckpoint } from '../../src/core/training/checkpoint-codec';
import { disposeState } from '../../src/core/training/model-state';
import { importPytorchRun } from '../../src/export/import';
import type { NamedArray } from '../../src/export/npy';
import type { Checkpoint } from '../../src/core/training/checkpoint';
import { answers, arrayOf, configOf, logLines, npz, python, requireTorch, runHarness, skipWithoutTorch, stepTerms, writeProject, torchrunTwo } from './export-helpers';
import { heldOut, sessionFor, train as trainSteps } from './helpers';

let root: string;
let mnist: ImageDataset;
beforeAll(async () => {
  await useNodeBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'export-rbm-test-'));
}, 60_000);
afterAll(() => spawnSync('rm', ['-rf', root]));

const BATCH = 8;
/** The app's count of images its visible biases are set from (rbm.ts). */
const BIAS_IMAGES = 1000;
/** The Gibbs chain and the AIS estimate compared: chains, steps, runs and temperatures. */
const CHAIN = { chains: 6, steps: 5 };
const AIS = { runs: 8, temperatures: 30 };

async function images(): Promise<ImageDataset> {
  mnist ??= (await openNodeDataset('mnist', {})) as ImageDataset;
  return mnist;
}

/** Binary training images, the coins fixed by a seed: [n, 28, 28, 1]. */
async function binary(indices: number[], seed: number): Promise<tf.Tensor4D> {
  return (await images()).take('train', indices, { encoding: 'binary-sampled', seed });
}

/** A dataset that serves the given batches in turn, whatever is asked (the bias images, then the batch). */
function servingInTurn(batches: tf.Tensor[]): Dataset {
  let next = 0;
  return { kind: 'image', draw: () => batches[next++].clone() } as unknown as Dataset;
}

/** Uniforms as bernoulli() draws them from `random`: one tensor per shape, in order. */
function uniforms(random: Random, shapes: number[][]): tf.Tensor[] {
  return shapes.map((shape) => tf.randomUniform(shape, 0, 1, 'float32', random.seed()));
}

/** k Gibbs steps' uniforms of n chains, as train.py takes them: [n, k, H] and [n, k, D]. */
function chainUniforms(random: Random, n: number, steps: number, hidden: number, size: number): [tf.Tensor, tf.Tensor] {
  if (steps === 0) return [tf.zeros([n, 0, hidden]), tf.zeros([n, 0, size])];
  const draws = uniforms(random, Array.from({ length: steps }, () => [[n, hidden], [n, size]]).flat());
  const stacked: [tf.Tensor, tf.Tensor] = [tf.stack(draws.filter((_, i) => i % 2 === 0), 1), tf.stack(draws.filter((_, i) => i % 2 === 1), 1)];
  tf.dispose(draws);
  return stacked;
}

/**
 * The randomness of the model's next step, as rbm.ts draws it from its noise source: the
 * data's Gibbs step (h, then v), the pseudo-likelihood's bits, then the negative chains'
 * steps (CD: k - 1 more from the data's step; PCD: k on the persistent chains).
 */
function stepInputs(config: RunConfig, numbers: Record<string, number>, size: number): Record<string, tf.Tensor> {
  const values = modelValues(config);
  const hidden = Number(values.hidden_units);
  const noise = createRandom(0);
  noise.setState(numbers['noise/state']);
  const [hiddenUniforms, visibleUniforms] = uniforms(noise, [[BATCH, hidden], [BATCH, size]]);
  const bits = tf.randomUniform([BATCH], 0, size, 'int32', noise.seed());
  const pcd = values.training === 'pcd';
  const [chainHidden, chainVisible] = chainUniforms(noise, pcd ? Number(values.chains) : BATCH, pcd ? Number(values.k) : Number(values.k) - 1, hidden, size);
  return { hidden_uniforms: hiddenUniforms, visible_uniforms: visibleUniforms, pl_bits: bits, chain_hidden: chainHidden, chain_visible: chainVisible };
}

/** A chain and an AIS estimate of the model as it stands, with the uniforms they drew: TF.js's answers for train.py. */
async function chainAndAis(model: GenerativeModel, batch: tf.Tensor4D): Promise<Record<string, NamedArray>> {
  const rbm = (model as unknown as { rbm: RbmWeights }).rbm;
  const [size, hidden] = rbm.weights.shape;
  const arrays: Record<string, NamedArray> = {};
  const start = tf.tidy(() => batch.slice(0, CHAIN.chains).reshape([CHAIN.chains, size]) as tf.Tensor2D);
  const end = gibbsChain(rbm, start, CHAIN.steps, createRandom(21));
  const [chainHidden, chainVisible] = chainUniforms(createRandom(21), CHAIN.chains, CHAIN.steps, hidden, size);
  Object.assign(arrays, { chain_start: await arrayOf(start), chain_end: await arrayOf(end.visible), chain_hidden: await arrayOf(chainHidden), chain_visible: await arrayOf(chainVisible) });
  const base = tf.tidy(() => baseRateBiases(batch.reshape([batch.shape[0], size]).mean(0) as tf.Tensor1D, batch.shape[0]));
  const ais = await aisLogPartition(rbm, base, AIS, createRandom(17));
  // the draws in AIS's order: the starting pixels, then h and v at every temperature but the last
  const shapes = [[AIS.runs, size], ...Array.from({ length: AIS.temperatures - 1 }, () => [[AIS.runs, hidden], [AIS.runs, size]]).flat()];
  const draws = uniforms(createRandom(17), shapes);
  const flat = tf.concat(draws.map((draw) => draw.reshape([-1])));
  Object.assign(arrays, { ais_base: await arrayOf(base), ais_uniforms: await arrayOf(flat), ais_log_z: { shape: [1], values: Float32Array.of(ais.logZ) }, ais_log_weights: { shape: [AIS.runs], values: Float32Array.from(ais.logWeights) } });
  for (const temperatures of [37, 500, 14_500]) arrays[`betas_${temperatures}`] = { shape: [temperatures + 1], values: Float32Array.from(annealingSchedule(temperatures)) };
  tf.dispose([start, end.visible, end.visibleMean, chainHidden, chainVisible, base, flat, ...draws]);
  return arrays;
}

/** The model's state as a checkpoint at `step`. */
async function checkpointOf(model: GenerativeModel, step: number): Promise<Checkpoint> {
  const saved = await model.state!.save();
  const checkpoint = await encodeCheckpoint(step, saved);
  disposeState(saved);
  return checkpoint;
}

/**
 * One TF.js step as a project and inputs.npz: from a state a step in (the biases set), or
 * from the fresh model (`fromStart`: the step sets the visible biases from 1,000 served
 * images first). Beside it, a chain and an AIS estimate of the state exported.
 */
async function rbmCase(name: string, config: RunConfig, fromStart = false): Promise<string> {
  const factory = await findModel('rbm')!.load();
  const model = factory.create(modelValues(config), { data: datasetOf(config), random: createRandom(3) });
  const [first, second] = await Promise.all([0, 1].map((k) => binary(Array.from({ length: BATCH }, (_, i) => 40 * k + 3 * i), 5)));
  const biasImages = await binary(Array.from({ length: BIAS_IMAGES }, (_, i) => 100 + i), 6);
  let step = 0;
  if (!fromStart) {
    stepTerms(model, servingInTurn([biasImages, first]), BATCH);
    step = 1;
  }
  const before = await checkpointOf(model, step);
  const arrays: Record<string, NamedArray> = await chainAndAis(model, second);
  const size = second.size / BATCH;
  const inputs = { x: second, ...stepInputs(config, before.numbers, size), ...(fromStart ? { bias_images: biasImages } : {}) };
  const terms = stepTerms(model, servingInTurn(fromStart ? [biasImages, second] : [second]), BATCH);
  const after = await checkpointOf(model, step + 1);
  expect(after.numbers["started/flag"]).toBe(1);
  Object.assign(arrays, answers(config, terms, after));
  arrays['after.biases_from_data'] = { shape: [], values: Float32Array.of(1) };
  for (const [key, tensor] of Object.entries(inputs)) arrays[`in.${key}`] = await arrayOf(tensor);
  tf.dispose([first, second, biasImages, ...Object.values(inputs)]);
  model.dispose();
  const project = join(root, name.replace(/\W+/g, '-'));
  await writeProject(project, config, before, async () => new Uint8Array(), { 'inputs.npz': npz(arrays) });
  return project;
}

/** train.py's chain and AIS from the same uniforms, against TF.js's (inputs.npz): the differences, as JSON. */
const CHAIN_AND_AIS = String.raw`
import importlib.util, json, sys
import numpy as np, torch
project = sys.argv[1]
spec = importlib.util.spec_from_file_location("train", f"{project}/train.py")
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)
args = train.parse_args([])
model = train.Model(args)
optimizers = {name: train.Adam(p, lr, b1, b2, args.adam_epsilon) for name, (p, lr, b1, b2) in model.optimizer_groups(args).items()}
train.load_state(f"{project}/weights.npz", model, optimizers)
inputs = np.load(f"{project}/inputs.npz")
t = lambda key: torch.from_numpy(inputs[key])
end = model.gibbs_chain(t("chain_start"), t("chain_hidden"), t("chain_visible")).numpy()
draws, used = t("ais_uniforms"), [0]
def uniform(shape):
    count = int(np.prod(shape))
    values = draws[used[0]:used[0] + count].reshape(shape)
    used[0] += count
    return values
runs, temperatures = len(inputs["ais_log_weights"]), ${AIS.temperatures}
log_z, log_weights = train.ais_log_partition(model, t("ais_base"), runs, temperatures, uniform)
betas = max(float(np.max(np.abs(np.array(train.annealing_schedule(k), dtype=np.float32) - inputs[f"betas_{k}"]))) for k in (37, 500, 14500))
print(json.dumps({
    "chain_differing": int(np.sum(end != inputs["chain_end"])),
    "log_z": abs(log_z - float(inputs["ais_log_z"][0])) / abs(float(inputs["ais_log_z"][0])),
    "log_weights": float(np.max(np.abs(log_weights.numpy() - inputs["ais_log_weights"]))),
    "uniforms_left": int(len(draws) - used[0]),
    "betas": betas,
}))
`;


/** Tiny presets: few hidden units, few persistent chains. */
const CASES: [string, Record<string, unknown>, boolean][] = [
  ['CD-1, sampled pixels, the defaults otherwise', { hidden_units: 12 }, false],
  ['CD-3, fixed threshold, no weight decay', { hidden_units: 10, k: 3, data: 'threshold', weight_decay: 0 }, false],
  ['PCD-2, 16 chains, weight decay 0.001', { hidden_units: 12, training: 'pcd', k: 2, chains: 16, weight_decay: 0.001, lr: 0.003 }, false],
  ['the first step: visible biases from the data, PCD-1', { hidden_units: 12, training: 'pcd', k: 1, chains: 16 }, true],
];

describe.skipIf(skipWithoutTorch)('the exported RBM against TF.js (cpu backend), one whole step from the same state and uniforms', () => {
  let results: Map<string, Record<string, number>>;
  const extras = new Map<string, Record<string, number>>();

  beforeAll(async () => {
    requireTorch();
    const projects: string[] = [];
    for (const [name, values, fromStart] of CASES) projects.push(await rbmCase(name, configOf('rbm', 'mnist', { batch: BATCH, ...values }), fromStart));
    results = runHarness(projects);
    const script = join(root, 'chain-and-ais.py');
    writeFileSync(script, CHAIN_AND_AIS);
    for (const project of projects) extras.set(project, JSON.parse(python([script, project], root, 180_000)));
  }, 180_000);

  it.each(CASES)('%s: the same terms, gradients, Adam step, chains; a Gibbs chain and AIS from the same draws', (name, _values, fromStart) => {
    const project = join(root, name.replace(/\W+/g, '-'));
    const result = results.get(project)!;
    // reconstruction error, free energy and pseudo-likelihood, relative (measured: at most 4.9e-6, the
    // pseudo-likelihood's difference of two free energies)
    expect(result.terms).toBeLessThan(2e-5);
    // relative to the largest value of each tensor: the gradient read back from m, m and v (measured: at most 2.8e-6)
    expect(result.grad).toBeLessThan(1e-4);
    expect(result.m).toBeLessThan(5e-5);
    expect(result.v).toBeLessThan(5e-5);
    // in units of the learning rate (measured: at most 2.4e-4; on the first step 2.9e-3, the visible biases set
    // from the data first: log-odds near -7.6 that differ by a few float32 roundings, 2.9e-6)
    expect(result.weights).toBeLessThan(fromStart ? 1e-2 : 1e-3);
    // the persistent chains after the step (binary: any flipped unit would be 1) and the biases' flag
    expect(result.buffers).toBe(0);
    expect(result.adam_steps).toEqual([fromStart ? 1 : 2]);
    const extra = extras.get(project)!;
    expect(extra.chain_differing).toBe(0);
    expect(extra.uniforms_left).toBe(0);
    expect(extra.betas).toBeLessThan(1e-7);
    // relative (measured: at most 5.8e-7); each run's log weight, absolute (measured: at most 9.2e-5)
    expect(extra.log_z).toBeLessThan(1e-5);
    expect(extra.log_weights).toBeLessThan(1e-3);
  });
});


describe.skipIf(skipWithoutTorch)('an exported RBM project, from its own files', () => {
  let project: string;
  const config = () => configOf('rbm', 'mnist', { hidden_units: 16, training: 'pcd', chains: 8, batch: BATCH, ais_runs: 4, ais_temperatures: 20 });

  beforeAll(async () => {
    requireTorch();
    const factory = await findModel('rbm')!.load();
    const model = factory.create(modelValues(config()), { data: datasetOf(config()), random: createRandom(3) });
    const checkpoint = await checkpointOf(model, 0);
    model.dispose();
    project = join(root, 'project');
    await writeProject(project, config(), checkpoint, async (name) => readFileSync(join(DATA_DIR, name)));
  }, 60_000);

  it('trains on the CPU from the browser\'s state, sets the visible biases at its first step, logs the held-out figures and AIS when asked, and saves the chains', () => {
    python(['train.py', '--steps', '4', '--log-every', '2', '--eval-every', '4', '--out-dir', 'four', '--ais'], project, 180_000);
    const lines = logLines(join(project, 'four', 'logs.jsonl'));
    expect(lines.map((line) => line.step)).toEqual([2, 4, undefined]);
    expect(lines.slice(0, 2).every((line) => Number.isFinite(line.free_energy) && line.reconstruction_error > 0 && line.pseudo_likelihood < 0)).toBe(true);
    expect(Number.isFinite(lines[1].test_free_energy) && lines[1].test_reconstruction_error > 0).toBe(true);
    // log p(v) of binary 784-pixel images: below 0, above the independent-coins bound of 784 log 2
    expect(lines[1].test_ais_log_likelihood).toBeLessThan(0);
    expect(lines[1].test_ais_log_likelihood).toBeGreaterThan(-784 * Math.LN2);
    expect(lines[2].ais_log_likelihood).toBe(lines[1].test_ais_log_likelihood);
    const manifest = JSON.parse(readFileSync(join(project, 'four', 'manifest.json'), 'utf8'));
    expect(manifest.arrays.persistent).toEqual([8, 784]);
    expect(manifest.arrays.biases_from_data).toEqual([]);
    // exported before the app's first step, so train.py's first step set the visible biases (and says so)
    expect(python(['-c', 'import numpy as np; print(float(np.load("weights.npz")["biases_from_data"]), float(np.load("four/weights.npz")["biases_from_data"]))'], project, 180_000).trim()).toBe('0.0 1.0');
  }, 180_000);

  it('comes back: weights, Adam state, persistent chains and the biases\' flag load into the app, which computes the free energy train.py logged, and trains on', async () => {
    // after the test above: train.py trained from step 0 to 4 into four/
    const out = join(project, 'four');
    const weights = new Uint8Array(readFileSync(join(out, 'weights.npz')));
    const { config: imported, checkpoint, test } = importPytorchRun({ manifest: readFileSync(join(out, 'manifest.json'), 'utf8'), weights, logs: readFileSync(join(out, 'logs.jsonl'), 'utf8') });
    expect(checkpoint.numbers['started/flag']).toBe(1);
    expect(checkpoint.specs.map((spec) => spec.name)).toContain('chains/0');
    const session = await sessionFor(imported);
    try {
      await session.restore(checkpoint);
      expect(session.step).toBe(4);
      const saved = await session.model.state!.save();
      const chains = await saved.tensors['chains/0'].data();
      expect(saved.numbers['started/flag']).toBe(1);
      disposeState(saved);
      const persistent = python(['-c', 'import numpy as np; print(" ".join(str(x) for x in np.load("four/weights.npz")["persistent"].reshape(-1)))'], project, 180_000).trim().split(' ').map(Number);
      expect(Array.from(chains)).toEqual(persistent);
      // deterministic given the weights: the same 1,000 test images, binary by the same coins
      const figures = await heldOut(session, 'held-out');
      expect(Math.abs(figures.free_energy - test[0].values.free_energy) / Math.abs(test[0].values.free_energy)).toBeLessThan(1e-4);
      const [next] = await trainSteps(session, 1);
      expect(Number.isFinite(next.free_energy)).toBe(true);
    } finally {
      session.dispose();
    }
  }, 60_000);

  it('under torchrun with two processes (gloo) walks the same persistent chains and draws the curve of one process with the same global batch', () => {
    const single = join(project, 'single');
    python(['train.py', '--steps', '4', '--log-every', '2', '--eval-every', '100', '--out-dir', single], project, 180_000);
    torchrunTwo(['--steps', '4', '--log-every', '2', '--eval-every', '100', '--out-dir', 'pair'], project, join(root, 'torchrun'), 180_000);
    const [one, two] = [logLines(join(single, 'logs.jsonl')), logLines(join(project, 'pair', 'logs.jsonl'))];
    expect(two.at(-1)).toMatchObject({ summary: true, processes: 2, batch: BATCH });
    const curve = (lines: Record<string, number>[]) => lines.filter((line) => line.step !== undefined);
    expect(curve(two).map((line) => line.step)).toEqual([2, 4]);
    curve(two).forEach((line, i) => {
      for (const term of ['free_energy', 'reconstruction_error', 'pseudo_likelihood']) expect(Math.abs(line[term] - curve(one)[i][term]) / Math.abs(curve(one)[i][term])).toBeLessThan(1e-4);
    });
    const chains = python(['-c', `import numpy as np; print(float(np.abs(np.load("${single}/weights.npz")["persistent"] - np.load("pair/weights.npz")["persistent"]).max()))`], project, 180_000);
    expect(Number(chains)).toBe(0);
  }, 180_000);
});
