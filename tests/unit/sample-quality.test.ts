/**
 * The sample-quality evaluation end to end, with the shipped MNIST classifier: real test
 * images as "samples" score as real data does (distance near 0, every class, high
 * precision and recall); only 6s cover one class and recall little; the ring's data covers
 * its 8 modes and a 3-mode sampler 3. Every generating model's session gets it, and the
 * runner's summary prints it under stable keys.
 */
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { nodeClassifiers } from '../../src/cli/node-classifiers';
import { loadNodeDataset, openNodeDataset } from '../../src/cli/node-datasets';
import { defaultConfig } from '../../src/core/config';
import { generatePoints } from '../../src/core/datasets/points';
import type { PointsDataset } from '../../src/core/datasets/points';
import { qualityRank, sampleQualityEvaluation, type Sampler } from '../../src/core/metrics/sample-quality';
import { DETACHED_JOB } from '../../src/core/training/jobs';
import { createSession } from '../../src/core/training/session';

beforeAll(async () => {
  await useNodeBackend('wasm');
});

const mnist = () => loadNodeDataset('mnist');

/** A sampler that returns these test images (cycled to n), whatever it is asked. */
function imagesSampler(indices: number[]): Sampler {
  return async (n) => {
    const picked = Array.from({ length: n }, (_, i) => indices[i % indices.length]);
    return mnist().take('test', picked, { encoding: 'unit' });
  };
}

async function run(sampler: Sampler): Promise<Record<string, number>> {
  const evaluation = sampleQualityEvaluation(mnist(), sampler, nodeClassifiers)!;
  return evaluation.run({ data: mnist(), job: DETACHED_JOB });
}

describe('sample quality on images', () => {
  it('real test images (not the reference ones) score like real data', async () => {
    const indices = Array.from({ length: 1000 }, (_, i) => 1000 + i);
    const figures = await run(imagesSampler(indices));
    expect(figures.classes_covered).toBe(10);
    expect(figures.class_kl).toBeLessThan(0.02);
    expect(figures.precision).toBeGreaterThan(0.6);
    expect(figures.recall).toBeGreaterThan(0.6);
    expect(figures.frechet_classifier_distance).toBeLessThan(10);
  });

  it('only 6s: one class covered, KL near log 10, recall low, distance far larger', async () => {
    const labels = mnist().labels('test', Array.from({ length: 3000 }, (_, i) => 1000 + i));
    const sixes = [...labels.keys()].filter((i) => labels[i] === 6).map((i) => 1000 + i);
    const figures = await run(imagesSampler(sixes));
    const real = await run(imagesSampler(Array.from({ length: 1000 }, (_, i) => 1000 + i)));
    expect(figures.classes_covered).toBe(1);
    expect(figures.class_kl).toBeGreaterThan(2);
    expect(figures.recall).toBeLessThan(0.3);
    expect(figures.frechet_classifier_distance).toBeGreaterThan(10 * real.frechet_classifier_distance);
  });

  it('draws the classes of the samples: only 6s leave one bar above the line, with a warning', async () => {
    const labels = mnist().labels('test', Array.from({ length: 2000 }, (_, i) => 1000 + i));
    const sixes = [...labels.keys()].filter((i) => labels[i] === 6).map((i) => 1000 + i);
    const evaluation = sampleQualityEvaluation(mnist(), imagesSampler(sixes), nodeClassifiers)!;
    expect(evaluation.panels?.()).toEqual([]);
    await evaluation.run({ data: mnist(), job: DETACHED_JOB });
    const [panel] = evaluation.panels!();
    if (panel.kind !== 'bars') throw new Error('expected bars');
    expect(panel.labels).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(Array.from(panel.values).filter((value) => value >= panel.threshold!)).toHaveLength(1);
    expect(panel.values[6]).toBeGreaterThan(90);
    expect(panel.warning).toMatch(/9 of 10 classes/);
  });

  it('frees every tensor it makes', async () => {
    await run(imagesSampler([1, 2, 3]));
    const before = tf.memory().numTensors;
    await run(imagesSampler([4, 5, 6]));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('sample quality on 2-D points', () => {
  it('the ring data covers 8 modes; a sampler of 3 modes covers 3', async () => {
    const data = (await openNodeDataset('ring', { spread: 0.05 })) as PointsDataset;
    const fromModes = (modes: number[]): Sampler => async (n, random) => {
      const { points, labels } = generatePoints(data.spec, 4 * n, 0.05, random);
      const kept = [...labels.keys()].filter((i) => modes.includes(labels[i])).slice(0, n);
      return tf.tensor2d(kept.flatMap((i) => [points[2 * i], points[2 * i + 1]]), [kept.length, 2]);
    };
    const all = await sampleQualityEvaluation(data, fromModes([0, 1, 2, 3, 4, 5, 6, 7]))!.run({ data, job: DETACHED_JOB });
    expect(all.modes_covered).toBe(8);
    expect(all.high_quality_share).toBeGreaterThan(0.95);
    const three = await sampleQualityEvaluation(data, fromModes([0, 3, 5]))!.run({ data, job: DETACHED_JOB });
    expect(three.modes_covered).toBe(3);
    expect(three.recall).toBeLessThan(0.5);
    expect(three.precision).toBeGreaterThan(0.9);
  });
});

describe('every generating model gets it', () => {
  it('a session of a generating model has the sample-quality evaluation; one that does not generate has none', async () => {
    const ring = defaultConfig('ae', 'ring');
    const session = await createSession(ring, await openNodeDataset('ring', ring.values));
    expect(session.evaluations.map((evaluation) => evaluation.id)).toContain('sample-quality');
    session.dispose();
    const dae = defaultConfig('dae', 'mnist');
    const denoiser = await createSession(dae, await openNodeDataset('mnist', dae.values), { classifiers: nodeClassifiers });
    expect(denoiser.evaluations.map((evaluation) => evaluation.id)).not.toContain('sample-quality');
    denoiser.dispose();
  });

  it('the runner prints the figures under stable keys', () => {
    const output = execFileSync('npx', ['tsx', 'src/cli/train.ts', '--model', 'vae', '--dataset', 'mnist', '--steps', '20', '--set', 'arch=dense', '--set', 'hidden=64'], { encoding: 'utf8' });
    const summary = JSON.parse(output.trim().split('\n').at(-1)!);
    for (const key of ['frechet_classifier_distance', 'precision', 'recall', 'classes_covered', 'class_kl']) expect(typeof summary[key]).toBe('number');
    const points = JSON.parse(execFileSync('npx', ['tsx', 'src/cli/train.ts', '--model', 'ae', '--dataset', 'ring', '--steps', '20'], { encoding: 'utf8' }).trim().split('\n').at(-1)!);
    for (const key of ['modes_covered', 'high_quality_share', 'precision', 'recall']) expect(typeof points[key]).toBe('number');
  });
});

describe('ranking sample quality (to keep the best checkpoint)', () => {
  it('ranks a lower Frechet distance higher; on clusters, more modes first, then more high-quality samples', () => {
    expect(qualityRank({ frechet_classifier_distance: 10 })!.rank).toBeGreaterThan(qualityRank({ frechet_classifier_distance: 20 })!.rank);
    expect(qualityRank({ modes_covered: 8, high_quality_share: 0.1 })!.rank).toBeGreaterThan(qualityRank({ modes_covered: 7, high_quality_share: 0.99 })!.rank);
    expect(qualityRank({ modes_covered: 8, high_quality_share: 0.5 })!.rank).toBeGreaterThan(qualityRank({ modes_covered: 8, high_quality_share: 0.4 })!.rank);
    expect(qualityRank({ precision: 1, recall: 1 })).toBeUndefined();
  });
});
