/**
 * The 2-D toy distributions: generators that draw points from a seeded random source, and
 * the dataset that serves them to models. Training batches are fresh draws every step (the
 * distribution, not a finite sample, is what a model should learn); fixed sets drawn from
 * constant seeds serve the views and the held-out figures, so they are the same points at
 * every refresh and in every run.
 */
import * as tf from '@tensorflow/tfjs';
import { createRandom, type Random } from '../random';
import type { PointsDataSpec, Split } from './catalog';
import { Splits } from './splits';

export interface PointCloud {
  /** [n, 2], interleaved x, y. */
  points: Float32Array;
  /** [n]: the mode, moon or circle each point came from (0 where the set has no parts). */
  labels: Uint8Array;
}

/** Where a point of each set sits before its noise, from one uniform draw u and a part index. */
const SHAPES: Record<string, { parts: number; place(part: number, u: number): [number, number] }> = {
  // 8 Gaussians centred on the unit circle.
  ring: { parts: 8, place: (k) => [Math.cos((2 * Math.PI * k) / 8), Math.sin((2 * Math.PI * k) / 8)] },
  // 25 Gaussians centred at {-4, -2, 0, 2, 4}^2, row by row from the bottom.
  grid: { parts: 25, place: (k) => [-4 + 2 * (k % 5), -4 + 2 * Math.floor(k / 5)] },
  // Two interleaving half circles (as scikit-learn's make_moons), centred on the origin.
  moons: {
    parts: 2,
    place: (k, u) => {
      const t = Math.PI * u;
      return k === 0 ? [Math.cos(t) - 0.5, Math.sin(t) - 0.25] : [0.5 - Math.cos(t), 0.25 - Math.sin(t)];
    },
  },
  // An Archimedean spiral r = 0.3 + 2.7 theta / 4 pi, two turns. theta = 4 pi sqrt(u) puts
  // points about evenly along the arc, whose length grows like theta^2.
  spiral: {
    parts: 1,
    place: (_, u) => {
      const theta = 4 * Math.PI * Math.sqrt(u);
      const r = 0.3 + (2.7 * theta) / (4 * Math.PI);
      return [r * Math.cos(theta), r * Math.sin(theta)];
    },
  },
  // Circles of radius 1 (part 0) and 0.5 (part 1).
  circles: {
    parts: 2,
    place: (k, u) => {
      const radius = k === 0 ? 1 : 0.5;
      return [radius * Math.cos(2 * Math.PI * u), radius * Math.sin(2 * Math.PI * u)];
    },
  },
};

/** n points of the set `spec`, each its shape's point plus N(0, spread^2) noise on each coordinate. */
export function generatePoints(spec: PointsDataSpec, n: number, spread: number, random: Random): PointCloud {
  const shape = SHAPES[spec.id];
  if (!shape) throw new Error(`No generator for the points dataset "${spec.id}"`);
  const points = new Float32Array(2 * n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const part = random.int(shape.parts);
    const [x, y] = shape.place(part, random.next());
    points[2 * i] = x + spread * random.normal();
    points[2 * i + 1] = y + spread * random.normal();
    labels[i] = part;
  }
  return { points, labels };
}

/** The fixed sets are drawn from these seeds: the same points in every run and every browser. */
const FIXED_SEEDS: Record<Split, number> = { train: 20261129, test: 19700101 };

export class PointsDataset extends Splits {
  readonly kind = 'points' as const;
  private readonly fixed: Record<Split, PointCloud>;

  constructor(
    readonly spec: PointsDataSpec,
    /** The noise of the set (its `spread` setting). */
    readonly spread: number,
  ) {
    super();
    this.fixed = {
      train: generatePoints(spec, spec.counts.train, spread, createRandom(FIXED_SEEDS.train)),
      test: generatePoints(spec, spec.counts.test, spread, createRandom(FIXED_SEEDS.test)),
    };
  }

  /** n fresh points, [n, 2]. */
  draw(n: number, random: Random): tf.Tensor2D {
    return this.drawLabelled(n, random).examples;
  }

  /** n fresh points with the part each came from (a ring's mode): the same draw as `draw`. */
  drawLabelled(n: number, random: Random): { examples: tf.Tensor2D; labels: Uint8Array } {
    const { points, labels } = generatePoints(this.spec, n, this.spread, random);
    return { examples: tf.tensor2d(points, [n, 2]), labels };
  }

  /** Points of a fixed set by index, [indices, 2]. */
  take(split: Split, indices: readonly number[]): tf.Tensor2D {
    const source = this.fixed[split].points;
    const values = new Float32Array(2 * indices.length);
    indices.forEach((index, row) => values.set(source.subarray(2 * index, 2 * index + 2), 2 * row));
    return tf.tensor2d(values, [indices.length, 2]);
  }

  /** A fixed set's coordinates as plain numbers, [count, 2] interleaved: for drawing. */
  coordinates(split: Split, size = this.count(split)): Float32Array {
    return this.fixed[split].points.slice(0, 2 * size);
  }

  labels(split: Split, indices: readonly number[]): Uint8Array {
    const { labels } = this.fixed[split];
    return Uint8Array.from(indices, (index) => labels[index]);
  }
}
