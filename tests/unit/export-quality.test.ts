/**
 * train.py's sample-quality figures (src/export/python-quality.ts) against the app's
 * (src/core/metrics/sample-quality.ts), on the same samples: on MNIST the Frechet classifier
 * distance, precision and recall in the evaluation classifier's features and the classes
 * covered; on the ring precision and recall in the plane and the modes covered.
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
import { CLASSIFIER_DIR, nodeClassifiers } from '../../src/cli/node-classifiers';
import { DATA_DIR, openNodeDataset } from '../../src/cli/node-datasets';
import { datasetOf, modelValues, type RunConfig } from '../../src/core/config';
import type { Dataset } from '../../src/core/datasets/dataset';
import { sampleQualityEvaluation } from '../../src/core/metrics/sample-quality';
import { findModel } from '../../src/core/models';
import { createRandom } from '../../src/core/random';
import { encodeCheckpoint } from '../../src/core/training/checkpoint-codec';
import { DETACHED_JOB } from '../../src/core/training/jobs';
import { disposeState } from '../../src/core/training/model-state';
import { npzBytes } from '../../src/export/npy';
import { configOf, PYTHON, requireTorch, skipWithoutTorch, writeProject } from './export-helpers';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'export-quality-test-'));
});
afterAll(() => spawnSync('rm', ['-rf', root]));

/** A project of a fresh tiny model of the run, with the dataset's files and classifier. */
async function project(name: string, config: RunConfig): Promise<string> {
  const factory = await findModel(config.model)!.load();
  const model = factory.create(modelValues(config), { data: datasetOf(config), random: createRandom(3) });
  const saved = await model.state!.save();
  const checkpoint = await encodeCheckpoint(0, saved);
  disposeState(saved);
  model.dispose();
  const folder = join(root, name);
  const read = async (file: string) => readFileSync(join(DATA_DIR, file));
  await writeProject(folder, config, checkpoint, read, {}, async (file) => readFileSync(join(CLASSIFIER_DIR, file)));
  return folder;
}

/** train.py's SampleQuality on samples.npz's samples (a stand-in model that draws them): its figures. */
function pythonFigures(folder: string, samples: tf.Tensor): Record<string, number> {
  writeFileSync(join(folder, 'samples.npz'), npzBytes({ samples: { shape: samples.shape, values: samples.dataSync() as Float32Array } }));
  const script = [
    'import importlib.util, json, numpy as np, torch',
    'spec = importlib.util.spec_from_file_location("train", "train.py"); train = importlib.util.module_from_spec(spec); spec.loader.exec_module(train)',
    'samples = torch.from_numpy(np.load("samples.npz")["samples"])',
    'class Drawn(torch.nn.Module):',
    '    quality_samples = len(samples)',
    '    def sample(self, n, generator):',
    '        return samples[:n]',
    'args = train.parse_args([])',
    'print(json.dumps(train.SampleQuality(train.DATA(args.data_dir), args.data_dir)(Drawn())))',
  ].join('\n');
  const run = spawnSync(PYTHON, ['-c', script], { cwd: folder, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`SampleQuality failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** The app's sample-quality evaluation of the same samples. */
async function appFigures(data: Dataset, samples: tf.Tensor, n?: number): Promise<Record<string, number>> {
  const evaluation = sampleQualityEvaluation(data, async (count) => samples.slice(0, count), nodeClassifiers, n)!;
  return evaluation.run({ data, job: DETACHED_JOB });
}

describe.skipIf(skipWithoutTorch)("train.py's sample-quality figures against the app's, on the same samples", () => {
  it('on MNIST: the Frechet classifier distance, precision and recall in the classifier\'s features, the classes covered and their KL from uniform', async () => {
    requireTorch();
    // the classifier's convolutions take seconds on the plain-JavaScript backend
    await useNodeBackend('wasm');
    const folder = await project('mnist', configOf('ae', 'mnist', { hidden: [16], bottleneck: 4, batch: 8 }));
    const data = await openNodeDataset('mnist', {});
    if (data.kind !== 'image') throw new Error('MNIST is an image set');
    // 300 samples: 240 training digits of the classes 0..5 only, then 60 of uniform noise, so neither figure is 0 or 1
    const indices: number[] = [];
    const labels = data.labels('train', Array.from({ length: 1000 }, (_, i) => i));
    labels.forEach((label, i) => label < 6 && indices.length < 240 && indices.push(i));
    const samples = tf.tidy(() => tf.concat([data.take('train', indices, { encoding: 'unit' }), tf.randomUniform([60, 28, 28, 1], 0, 1, 'float32', 5)]));
    const app = await appFigures(data, samples, 300);
    const ours = pythonFigures(folder, samples);
    samples.dispose();
    await useNodeBackend('cpu');
    expect(Object.keys(ours)).toEqual(Object.keys(app));
    expect(app.precision).toBeGreaterThan(0);
    expect(app.recall).toBeLessThan(1);
    expect(app.classes_covered).toBeLessThan(10);
    expect(relative(ours.frechet_classifier_distance, app.frechet_classifier_distance)).toBeLessThan(1e-4);
    // shares of 300 points and counts: the same points inside the same balls, the same classes read
    expect(ours.precision).toBe(app.precision);
    expect(ours.recall).toBe(app.recall);
    expect(ours.classes_covered).toBe(app.classes_covered);
    expect(ours.class_kl).toBeCloseTo(app.class_kl, 12);
  }, 60_000);

  it('on the ring: precision and recall in the plane, the modes covered and the share of high-quality samples', async () => {
    requireTorch();
    const folder = await project('ring', configOf('ae', 'ring', { hidden: [8], bottleneck: 1, spread: 0.05 }));
    const data = await openNodeDataset('ring', { spread: 0.05 });
    // 2,500 samples: 2,450 near five of the eight modes, 50 uniform over the frame
    const random = createRandom(9);
    const points = Array.from({ length: 2500 }, (_, i) => {
      if (i >= 2450) return [4 * random.next() - 2, 4 * random.next() - 2];
      const angle = (2 * Math.PI * (i % 5)) / 8;
      return [Math.cos(angle) + 0.1 * (random.next() - 0.5), Math.sin(angle) + 0.1 * (random.next() - 0.5)];
    });
    const samples = tf.tensor2d(points);
    const app = await appFigures(data, samples);
    const ours = pythonFigures(folder, samples);
    samples.dispose();
    expect(Object.keys(ours).sort()).toEqual(Object.keys(app).sort());
    expect(app.precision).toBeGreaterThan(0);
    expect(app.recall).toBeLessThan(1);
    expect(app.modes_covered).toBeLessThan(8);
    expect(ours.precision).toBe(app.precision);
    expect(ours.recall).toBe(app.recall);
    expect(ours.modes_covered).toBe(app.modes_covered);
    // mode_coverage's share is a float32 mean
    expect(ours.high_quality_share).toBeCloseTo(app.high_quality_share, 6);
  }, 60_000);
});

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
