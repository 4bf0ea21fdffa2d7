import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { openNodeDataset } from '../../src/cli/node-datasets';
import { DATASETS, findDataset, type PointsDataSpec } from '../../src/core/datasets/catalog';
import { generatePoints, PointsDataset } from '../../src/core/datasets/points';
import { createRandom } from '../../src/core/random';

const POINTS = DATASETS.filter((spec): spec is PointsDataSpec => spec.kind === 'points');
const spec = (id: string) => findDataset(id) as PointsDataSpec;

/** Distance from each point to its nearest mode, and which mode that is. */
function nearestModes(points: Float32Array, modes: readonly (readonly [number, number])[]) {
  return Array.from({ length: points.length / 2 }, (_, i) => {
    let best = { mode: -1, distance: Infinity };
    modes.forEach(([x, y], mode) => {
      const distance = Math.hypot(points[2 * i] - x, points[2 * i + 1] - y);
      if (distance < best.distance) best = { mode, distance };
    });
    return best;
  });
}

beforeAll(async () => {
  await useNodeBackend('cpu');
});

describe('the 2-D datasets', () => {
  it('are ring, grid, moons, spiral and circles, each with a noise setting named spread', () => {
    expect(POINTS.map((entry) => entry.id)).toEqual(['ring', 'grid', 'moons', 'spiral', 'circles']);
    for (const entry of POINTS) expect(entry.params.map((param) => param.key)).toEqual(['spread']);
  });

  it('ring: 8 Gaussians on the unit circle, each with the standard deviation asked for, drawn about equally often', () => {
    const sigma = 0.02;
    const { points, labels } = generatePoints(spec('ring'), 16000, sigma, createRandom(1));
    const nearest = nearestModes(points, spec('ring').modes!);
    expect(nearest.every(({ mode }, i) => mode === labels[i])).toBe(true);
    // radial distance from the centre is about 1; each coordinate's spread around its mode is sigma
    const counts = new Array(8).fill(0);
    let squared = 0;
    nearest.forEach(({ mode }, i) => {
      counts[mode]++;
      const [x, y] = spec('ring').modes![mode];
      squared += (points[2 * i] - x) ** 2 + (points[2 * i + 1] - y) ** 2;
    });
    expect(Math.sqrt(squared / (2 * labels.length))).toBeCloseTo(sigma, 3);
    for (const count of counts) expect(Math.abs(count - 2000)).toBeLessThan(200);
    expect(spec('ring').modes![2][0]).toBeCloseTo(0, 10);
    expect(spec('ring').modes![2][1]).toBeCloseTo(1, 10);
  });

  it('grid: 25 Gaussians centred at {-4, -2, 0, 2, 4}^2, every one used', () => {
    const { points, labels } = generatePoints(spec('grid'), 5000, 0.05, createRandom(2));
    const nearest = nearestModes(points, spec('grid').modes!);
    expect(new Set(nearest.map(({ mode }) => mode)).size).toBe(25);
    expect(nearest.every(({ mode, distance }, i) => mode === labels[i] && distance < 0.35)).toBe(true);
    expect(new Set(spec('grid').modes!.flat())).toEqual(new Set([-4, -2, 0, 2, 4]));
  });

  it('circles at radii 1 and 0.5; moons as two half circles; the spiral winds outward', () => {
    const circles = generatePoints(spec('circles'), 2000, 0, createRandom(3));
    for (let i = 0; i < 2000; i++) expect(Math.hypot(circles.points[2 * i], circles.points[2 * i + 1])).toBeCloseTo(circles.labels[i] === 0 ? 1 : 0.5, 5);
    const moons = generatePoints(spec('moons'), 2000, 0, createRandom(4));
    for (let i = 0; i < 2000; i++) {
      // each moon is a half circle of radius 1 around (-0.5, -0.25) or (0.5, 0.25)
      const centre = moons.labels[i] === 0 ? [-0.5, -0.25] : [0.5, 0.25];
      expect(Math.hypot(moons.points[2 * i] - centre[0], moons.points[2 * i + 1] - centre[1])).toBeCloseTo(1, 5);
      expect(Math.sign(moons.points[2 * i + 1] - centre[1])).not.toBe(moons.labels[i] === 0 ? -1 : 1);
    }
    const spiral = generatePoints(spec('spiral'), 3000, 0, createRandom(5));
    const radii = Array.from({ length: 3000 }, (_, i) => Math.hypot(spiral.points[2 * i], spiral.points[2 * i + 1]));
    expect(Math.min(...radii)).toBeGreaterThanOrEqual(0.3 - 1e-6);
    expect(Math.max(...radii)).toBeLessThanOrEqual(3 + 1e-6);
  });

  it('every set stays inside its frame, and the same seed gives the same points', () => {
    for (const entry of POINTS) {
      const spread = entry.params[0].default as number;
      const { points } = generatePoints(entry, 2000, spread, createRandom(9));
      expect(Math.max(...points.map(Math.abs)), entry.id).toBeLessThan(entry.extent[1]);
      expect(generatePoints(entry, 2000, spread, createRandom(9)).points).toEqual(points);
    }
  });

  it('PointsDataset: fresh training batches, fixed held-out sets shared by every run, by index', async () => {
    const dataset = new PointsDataset(spec('moons'), 0.1);
    const before = tf.memory().numTensors;
    const random = createRandom(1);
    const [a, b] = [dataset.draw(64, random), dataset.draw(64, random)];
    expect(a.shape).toEqual([64, 2]);
    expect(await a.data()).not.toEqual(await b.data());
    tf.dispose([a, b]);
    const taken = dataset.take('test', [5, 0]);
    const fixed = dataset.coordinates('test');
    expect(Array.from(await taken.data())).toEqual([fixed[10], fixed[11], fixed[0], fixed[1]]);
    taken.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(new PointsDataset(spec('moons'), 0.1).coordinates('test')).toEqual(fixed);
    expect(dataset.count('test')).toBe(2000);
    expect(dataset.labels('test', [0, 1, 2]).every((label) => label < 2)).toBe(true);
  });

  it("a run's dataset takes its spread from the run's settings", async () => {
    const wide = (await openNodeDataset('ring', { spread: 0.2 })) as PointsDataset;
    const byDefault = (await openNodeDataset('ring', {})) as PointsDataset;
    expect([wide.kind, wide.spread, byDefault.spread]).toEqual(['points', 0.2, 0.01]);
  });
});
