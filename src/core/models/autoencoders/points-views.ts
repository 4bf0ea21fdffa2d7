/**
 * What an autoencoder does to 2-D points, in one picture: the data, each point's
 * reconstruction joined to it, and the curve (1-D code) or warped grid (2-D code) that
 * the decoder draws as the code sweeps its range. With a 1-D bottleneck every
 * reconstruction lies on that curve: the network projects the plane onto a manifold it
 * learned.
 */
import * as tf from '@tensorflow/tfjs';
import type { PointsDataset } from '../../datasets/points';
import { readAndDispose } from '../../training/readback';
import type { PointSeries, PointsPanel } from '../../views/panels';
import { frameOf, polylinesAsSegments, SHOWN } from '../../views/plane-panels';

export { POINT_SAMPLES, samplesPointsPanel } from '../../views/plane-panels';
import type { CodeSpace } from './latent-explorer';

/** Test points joined to their reconstruction. */
const JOINED = 150;
const CURVE_STEPS = 240;
const GRID_LINES = 9;
const GRID_STEPS = 60;

type Range = readonly [number, number];

/** Codes along a 1-D range ([steps, 1]) or across a 2-D grid of lines ([lines * steps, 2]); undefined for wider codes. */
function manifoldCodes(ranges: readonly Range[]): { codes: Float32Array; lines: number; steps: number } | undefined {
  const at = ([low, high]: Range, i: number, steps: number) => low + ((high - low) * i) / (steps - 1);
  if (ranges.length === 1) return { codes: Float32Array.from({ length: CURVE_STEPS }, (_, i) => at(ranges[0], i, CURVE_STEPS)), lines: 1, steps: CURVE_STEPS };
  if (ranges.length !== 2) return undefined;
  const codes: number[] = [];
  // lines of constant z2 (z1 sweeping), then lines of constant z1 (z2 sweeping)
  for (let line = 0; line < GRID_LINES; line++) for (let i = 0; i < GRID_STEPS; i++) codes.push(at(ranges[0], i, GRID_STEPS), at(ranges[1], line, GRID_LINES));
  for (let line = 0; line < GRID_LINES; line++) for (let i = 0; i < GRID_STEPS; i++) codes.push(at(ranges[0], line, GRID_LINES), at(ranges[1], i, GRID_STEPS));
  return { codes: Float32Array.from(codes), lines: 2 * GRID_LINES, steps: GRID_STEPS };
}

/** Each code dimension's span over some codes [n, d], widened by a tenth on each side. */
function spans(codes: Float32Array, n: number, d: number): Range[] {
  return Array.from({ length: d }, (_, j) => {
    let [low, high] = [Infinity, -Infinity];
    for (let i = 0; i < n; i++) [low, high] = [Math.min(low, codes[i * d + j]), Math.max(high, codes[i * d + j])];
    const pad = 0.1 * (high - low || 1);
    return [low - pad, high + pad] as const;
  });
}

export interface ManifoldOptions {
  title: string;
  caption: string;
  /** The code range to sweep on each dimension: the test codes' own span (a code without a prior), or a fixed one (+-3 for N(0, 1)). */
  codeRange: 'data' | Range;
  /** Label of the swept curve or grid: "decoded curve (z from -3 to 3)". */
  manifoldLabel: string;
}

export async function learnedManifoldPanel(data: PointsDataset, space: CodeSpace, options: ManifoldOptions): Promise<PointsPanel> {
  const indices = data.firstIndices(SHOWN);
  const d = space.dimension;
  const [codes, reconstructions] = tf.tidy(() => {
    const z = space.encode(data.take('test', indices));
    return [z, space.decode(z)];
  });
  const [codeValues, reconstructed] = await readAndDispose(codes, reconstructions);

  const points = data.coordinates('test', indices.length);
  const joined = new Float32Array(4 * JOINED);
  for (let i = 0; i < JOINED; i++) joined.set([points[2 * i], points[2 * i + 1], reconstructed[2 * i], reconstructed[2 * i + 1]], 4 * i);
  const series: PointSeries[] = [
    { label: 'data (test points)', points, role: 'data' },
    { label: 'point to its reconstruction', points: joined, style: 'segments' },
    { label: 'reconstructions', points: reconstructed },
  ];

  const ranges = options.codeRange === 'data' ? spans(codeValues, indices.length, d) : Array.from({ length: d }, () => options.codeRange as Range);
  const sweep = manifoldCodes(ranges);
  if (sweep) {
    const decoded = tf.tidy(() => space.decode(tf.tensor2d(sweep.codes, [sweep.lines * sweep.steps, d])));
    const [values] = await readAndDispose(decoded);
    const lines = Array.from({ length: sweep.lines }, (_, line) => values.slice(2 * line * sweep.steps, 2 * (line + 1) * sweep.steps));
    series.push(sweep.lines === 1 ? { label: options.manifoldLabel, points: lines[0], style: 'line' } : polylinesAsSegments(lines, options.manifoldLabel));
  }
  return { kind: 'points', id: 'learned-manifold', title: options.title, caption: options.caption, series, extent: frameOf(data), axisLabels: ['x1', 'x2'] };
}
