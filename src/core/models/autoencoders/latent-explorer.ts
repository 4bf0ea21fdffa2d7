/**
 * The latent explorer, for every model with an encoder. It shows:
 * - the codes of test images as a scatter coloured by label: the codes themselves when
 *   they are 2-D, else their first two principal components; any point of that plane can
 *   be decoded (for a projection, the point stands for mean + a pc1 + b pc2);
 * - the path between the codes of two test images, decoded: a straight line, and for codes
 *   meant to follow N(0, I) also the great circle (slerp);
 * - one test image's code moved along a few directions, as a grid (a traversal) and as
 *   live sliders. Short codes move along their own axes z1, z2...; long ones (a wide
 *   hidden layer, a feature map) along their first principal components, because one
 *   unit out of a thousand changes little on its own.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../../datasets/image-dataset';
import type { ParamValue } from '../../params/schema';
import { DETACHED_JOB, type JobContext } from '../../training/jobs';
import { lerp, slerp } from '../../training/interpolation';
import { principalComponents, project, type Projection } from '../../training/pca';
import { readAndDispose } from '../../training/readback';
import { imageGridPanel, type Extent, type ImageGridPanel, type LatentQuery, type ScatterPanel, type SlidersPanel, type ViewPanel } from '../../views/panels';
import type { Action } from '../model';

/** A model's code as a flat vector: encode [N, ...example] -> [N, d], decode [N, d] -> [N, ...example]. */
export interface CodeSpace {
  dimension: number;
  encode(examples: tf.Tensor): tf.Tensor2D;
  decode(codes: tf.Tensor2D): tf.Tensor;
}

/** The payload of a `decode-latent` action, checked: it comes from the page. */
export function parseLatentQuery(payload: unknown): LatentQuery {
  const query = payload as Partial<LatentQuery> | undefined;
  const finite = (values: unknown): values is number[] => Array.isArray(values) && values.every((value) => typeof value === 'number' && Number.isFinite(value));
  if (query?.kind === 'point' && finite(query.point) && query.point.length === 2) return { kind: 'point', point: [query.point[0], query.point[1]] };
  if (query?.kind === 'sliders' && finite(query.values)) return { kind: 'sliders', values: query.values };
  throw new Error('decode-latent needs a point of the scatter or a setting of the sliders');
}

export interface ExplorerOptions {
  /** The codes are meant to follow N(0, I) (a VAE's): offer slerp, and let sliders span the prior. */
  gaussianPrior: boolean;
  /** What the codes are called in titles: "codes", "latent means". */
  codeName: string;
}


const SCATTER_SIZE = 1000;
/** Decoded images across the plane behind the scatter, per side. */
const PLANE_GRID = 12;
const PATH_STEPS = 8;
const DIRECTIONS = 5;
const TRAVERSAL_STEPS = 9;
/** Codes up to this length move along their own axes; longer ones along principal components. */
const MAX_AXIS_CODE = 16;
/** Sliders over a Gaussian code reach at least +-3 standard deviations of the prior. */
const PRIOR_EXTENT = 3;

/** Unit directions through the code space; coordinates along them are measured from an origin (0, or the mean code). */
interface Directions {
  labels: string[];
  /** origin . v for each direction v. */
  originDots: Float32Array;
  /** [k][d] */
  vectors: Float32Array[];
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>, bOffset = 0): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) sum += a[j] * b[bOffset + j];
  return sum;
}

/** The first principal components, or the first axes: [k][d]. */
function directionsOf(dimension: number, projection: Projection | undefined): Directions {
  const count = Math.min(DIRECTIONS, dimension);
  if (dimension <= MAX_AXIS_CODE || !projection) {
    const vectors = Array.from({ length: count }, (_, k) => Float32Array.from({ length: dimension }, (_, j) => (j === k ? 1 : 0)));
    return { labels: vectors.map((_, k) => `z${k + 1}`), originDots: new Float32Array(count), vectors };
  }
  const available = Math.min(count, projection.components.length / dimension);
  const vectors = Array.from({ length: available }, (_, k) => projection.components.slice(k * dimension, (k + 1) * dimension));
  const originDots = Float32Array.from(vectors, (vector) => dot(vector, projection.mean));
  return { labels: vectors.map((_, k) => `PC${k + 1}`), originDots, vectors };
}

/** Coordinate of a code (read from `offset`) along each direction: (code - origin) . v */
function coordinates(directions: Directions, code: ArrayLike<number>, offset = 0): Float32Array {
  const { originDots, vectors } = directions;
  return Float32Array.from(vectors, (vector, k) => dot(vector, code, offset) - originDots[k]);
}

export class LatentExplorer {
  /** From the last views: how the scatter's plane maps back to codes (absent: the code is the plane). */
  private projection?: Projection;
  /** From the last views: the image the sliders move, and along what. */
  private slider?: { index: number; code: Float32Array; directions: Directions; start: Float32Array };
  private pair: [number, number];

  constructor(
    private readonly space: CodeSpace,
    private readonly options: ExplorerOptions,
    pair: [number, number],
  ) {
    this.pair = pair;
  }

  /** Takes the live `from` and `to` parameters. */
  setParams(values: Readonly<Record<string, ParamValue>>): void {
    if (typeof values.from === 'number') this.pair = [values.from, this.pair[1]];
    if (typeof values.to === 'number') this.pair = [this.pair[0], values.to];
  }

  /** The action that decodes a point of the last scatter, or a setting of the sliders. */
  readonly decodeAction: Action = async (payload: unknown, job: JobContext) => {
    job.emit(await this.decode(parseLatentQuery(payload)), 1);
  };

  /** The scatter, interpolation, traversal and sliders; `job` lets a pause stop it between them. */
  async panels(dataset: ImageDataset, job: JobContext = DETACHED_JOB): Promise<ViewPanel[]> {
    const { dimension } = this.space;
    const indices = dataset.firstIndices(SCATTER_SIZE);
    const images = dataset.images('test', indices);
    const codes = tf.tidy(() => this.space.encode(images)); // [n, d]
    images.dispose();
    let projection: Projection | undefined;
    try {
      projection = dimension === 2 ? undefined : await principalComponents(codes, dimension > MAX_AXIS_CODE ? DIRECTIONS : 2);
    } catch (error) {
      codes.dispose();
      throw error;
    }
    const [codeValues] = await readAndDispose(codes);
    await job.checkpoint();
    this.projection = projection;

    const [from, to] = this.pair.map((index) => Math.min(index, dataset.count('test') - 1));
    const [a, b] = await this.codesOf(dataset, [from, to]);
    const directions = directionsOf(dimension, projection);
    const start = coordinates(directions, a);
    this.slider = { index: from, code: a, directions, start };
    const ranges = this.ranges(directions, codeValues, indices.length);

    const scatter = await this.scatterPanel(dataset, indices, codeValues);
    const interpolation = await this.interpolationPanel(dataset, [from, to], a, b);
    await job.checkpoint();
    const traversal = await this.traversalPanel(from, a, directions, start, ranges);
    return [scatter, interpolation, traversal, await this.slidersPanel(dataset, from, a, directions, start, ranges)];
  }

  /** Decodes a point of the last scatter, or a setting of the sliders. */
  async decode(query: LatentQuery): Promise<ImageGridPanel> {
    if (query.kind === 'point') {
      const [x, y] = query.point;
      return this.decodeToPanel(this.codeAt(query.point), {
        id: 'decoded-point',
        title: 'Decoded point',
        caption: `The image decoded from the code at (${x.toFixed(2)}, ${y.toFixed(2)}).`,
      });
    }
    const slider = this.slider;
    if (!slider) {
      return this.decodeToPanel(new Float32Array(this.space.dimension), { id: 'decoded-sliders', title: 'Decoded code', caption: 'The zero code (no image chosen yet).' });
    }
    const code = Float32Array.from(slider.code);
    slider.directions.vectors.forEach((vector, k) => {
      const shift = (query.values[k] ?? slider.start[k]) - slider.start[k];
      for (let j = 0; j < code.length; j++) code[j] += shift * vector[j];
    });
    const setting = slider.directions.labels.map((label, k) => `${label} = ${(query.values[k] ?? slider.start[k]).toFixed(2)}`).join(', ');
    return this.decodeToPanel(code, { id: 'decoded-sliders', title: 'Decoded code', caption: `The code of test image ${slider.index} moved to ${setting}.` });
  }

  /** The code a point of the scatter's plane stands for: [d]. */
  private codeAt([a, b]: readonly [number, number]): Float32Array {
    const { dimension } = this.space;
    // No projection: the first two dimensions are the plane, the others stay at 0 (a prior's mean).
    if (!this.projection) return Float32Array.from({ length: dimension }, (_, j) => (j === 0 ? a : j === 1 ? b : 0));
    const { mean, components } = this.projection;
    return Float32Array.from({ length: dimension }, (_, j) => mean[j] + a * components[j] + b * components[dimension + j]);
  }

  /** The codes of some test images, as plain arrays: [n][d]. */
  private async codesOf(dataset: ImageDataset, indices: number[]): Promise<Float32Array[]> {
    const images = dataset.images('test', indices);
    const codes = tf.tidy(() => this.space.encode(images));
    images.dispose();
    const [values] = await readAndDispose(codes);
    const d = this.space.dimension;
    return indices.map((_, row) => Float32Array.from(values.subarray(row * d, (row + 1) * d)));
  }

  /** Decodes one code [d] into a one-image panel. */
  private async decodeToPanel(code: Float32Array, options: Pick<ImageGridPanel, 'id' | 'title' | 'caption'>): Promise<ImageGridPanel> {
    const image = tf.tidy(() => this.space.decode(tf.tensor2d(code, [1, this.space.dimension])) as tf.Tensor4D);
    try {
      return await imageGridPanel(image, { ...options, columns: 1 });
    } finally {
      image.dispose();
    }
  }

  /** [k, 2]: the span of the test codes along each direction, padded; for a Gaussian code at least the prior's +-3. */
  private ranges(directions: Directions, codeValues: ArrayLike<number>, count: number): Float32Array {
    const k = directions.vectors.length;
    const [lows, highs] = [new Float32Array(k).fill(Infinity), new Float32Array(k).fill(-Infinity)];
    for (let i = 0; i < count; i++) {
      coordinates(directions, codeValues, i * this.space.dimension).forEach((value, c) => {
        lows[c] = Math.min(lows[c], value);
        highs[c] = Math.max(highs[c], value);
      });
    }
    const ranges = new Float32Array(2 * k);
    for (let c = 0; c < k; c++) {
      let [low, high] = [lows[c], highs[c]];
      const pad = 0.1 * (high - low || 1);
      [low, high] = [low - pad, high + pad];
      if (this.options.gaussianPrior) [low, high] = [Math.min(low, -PRIOR_EXTENT), Math.max(high, PRIOR_EXTENT)];
      ranges.set([low, high], 2 * c);
    }
    return ranges;
  }

  /** The codes of test images over what the decoder makes of the same plane: one picture, one pair of axes. */
  private async scatterPanel(dataset: ImageDataset, indices: number[], codeValues: Float32Array): Promise<ScatterPanel> {
    const { codeName } = this.options;
    const count = indices.length;
    const projected = this.projection !== undefined;
    // Only the first two components make the plane.
    const points = projected
      ? (() => {
          const all = project(this.projection!, codeValues, count);
          const k = all.length / count;
          return Float32Array.from({ length: 2 * count }, (_, i) => all[Math.floor(i / 2) * k + (i % 2)]);
        })()
      : Float32Array.from(codeValues);
    const extent = this.planeExtent(points);
    const title = `${codeName[0].toUpperCase()}${codeName.slice(1)} of test images`;
    return {
      kind: 'scatter',
      id: 'latent-scatter',
      title: projected ? `${title} (PCA)` : title,
      caption:
        (projected
          ? `The ${this.space.dimension}-number ${codeName} of ${count} test images, projected on their first two principal components`
          : `The 2-D ${codeName} of ${count} test images`) +
        `, coloured by label (never seen by the model), over the images the decoder makes of a ${PLANE_GRID} x ${PLANE_GRID} grid of the same plane.`,
      points,
      labels: dataset.labels('test', indices),
      classNames: dataset.spec.classNames ?? [],
      axisLabels: projected ? ['PC1', 'PC2'] : ['z1', 'z2'],
      extent,
      background: await this.decodedPlane(extent),
      explorable: true,
      pointName: 'test image',
    };
  }

  /**
   * The square the plane is drawn over: the prior's +-3 for a Gaussian code that stays
   * near it, else the codes' own span (padded, and the same on both axes, so distances read true).
   */
  private planeExtent(points: Float32Array): Extent {
    let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < points.length; i += 2) {
      [minX, maxX] = [Math.min(minX, points[i]), Math.max(maxX, points[i])];
      [minY, maxY] = [Math.min(minY, points[i + 1]), Math.max(maxY, points[i + 1])];
    }
    if (this.options.gaussianPrior && !this.projection) {
      const reach = Math.max(PRIOR_EXTENT, ...[minX, maxX, minY, maxY].map((value) => Math.abs(value) * 1.05));
      return [-reach, reach, -reach, reach];
    }
    const half = (1.1 * Math.max(maxX - minX, maxY - minY, 1e-3)) / 2;
    const [cx, cy] = [(minX + maxX) / 2, (minY + maxY) / 2];
    return [cx - half, cx + half, cy - half, cy + half];
  }

  /** Images decoded at the centres of a PLANE_GRID x PLANE_GRID tiling of `extent`, row 0 at the top. */
  private async decodedPlane([x0, x1, y0, y1]: Extent): Promise<ImageGridPanel> {
    const cell = [(x1 - x0) / PLANE_GRID, (y1 - y0) / PLANE_GRID];
    const codes: number[] = [];
    for (let row = 0; row < PLANE_GRID; row++) {
      for (let column = 0; column < PLANE_GRID; column++) codes.push(...this.codeAt([x0 + (column + 0.5) * cell[0], y1 - (row + 0.5) * cell[1]]));
    }
    const images = tf.tidy(() => this.space.decode(tf.tensor2d(codes, [PLANE_GRID * PLANE_GRID, this.space.dimension])) as tf.Tensor4D);
    try {
      return await imageGridPanel(images, { id: 'decoded-plane', title: 'Decoded plane', caption: 'What the decoder makes of the plane.', columns: PLANE_GRID });
    } finally {
      images.dispose();
    }
  }

  /** Rows of [image a, PATH_STEPS decoded codes, image b]: linear, then (Gaussian codes) spherical. */
  private async interpolationPanel(dataset: ImageDataset, [from, to]: number[], a: Float32Array, b: Float32Array): Promise<ImageGridPanel> {
    const ts = Array.from({ length: PATH_STEPS }, (_, i) => i / (PATH_STEPS - 1));
    const paths = [ts.map((t) => lerp(a, b, t))];
    if (this.options.gaussianPrior) paths.push(ts.map((t) => slerp(a, b, t)));
    const ends = dataset.images('test', [from, to]);
    const grid = tf.tidy(() => {
      const [imageA, imageB] = [ends.slice(0, 1), ends.slice(1, 1)];
      const rows = paths.flatMap((path) => {
        const codes = tf.tensor2d(path.flatMap((code) => Array.from(code)), [PATH_STEPS, this.space.dimension]);
        return [imageA, this.space.decode(codes) as tf.Tensor4D, imageB];
      });
      return tf.concat(rows) as tf.Tensor4D;
    });
    ends.dispose();
    try {
      return await imageGridPanel(grid, {
        id: 'interpolation',
        title: 'Interpolation',
        caption:
          `From test image ${from} (left) to test image ${to} (right), decoding codes along the straight line between theirs` +
          (this.options.gaussianPrior ? ', and along the great circle (slerp), which keeps the length typical of codes drawn from N(0, I).' : '.'),
        columns: PATH_STEPS + 2,
        rowLabels: this.options.gaussianPrior ? ['linear', 'spherical'] : ['linear'],
      });
    } finally {
      grid.dispose();
    }
  }

  /** One row per direction: the code of image a moved along it, from the low end of its range to the high end. */
  private async traversalPanel(index: number, a: Float32Array, directions: Directions, start: Float32Array, ranges: Float32Array): Promise<ImageGridPanel> {
    const codes: number[] = [];
    directions.vectors.forEach((vector, k) => {
      for (let step = 0; step < TRAVERSAL_STEPS; step++) {
        const value = ranges[2 * k] + ((ranges[2 * k + 1] - ranges[2 * k]) * step) / (TRAVERSAL_STEPS - 1);
        codes.push(...Array.from(a, (x, j) => x + (value - start[k]) * vector[j]));
      }
    });
    const grid = tf.tidy(() => this.space.decode(tf.tensor2d(codes, [codes.length / this.space.dimension, this.space.dimension])) as tf.Tensor4D);
    const along = directions.labels[0] === 'z1' ? 'one dimension at a time' : 'one principal component of the codes at a time';
    try {
      return await imageGridPanel(grid, {
        id: 'traversal',
        title: 'Latent traversal',
        caption: `The code of test image ${index} moved along ${along}, across the range test codes span: what each direction controls.`,
        columns: TRAVERSAL_STEPS,
        rowLabels: directions.labels,
      });
    } finally {
      grid.dispose();
    }
  }

  private async slidersPanel(
    dataset: ImageDataset,
    index: number,
    a: Float32Array,
    directions: Directions,
    start: Float32Array,
    ranges: Float32Array,
  ): Promise<SlidersPanel> {
    const image = dataset.images('test', [index]);
    const pair = tf.tidy(() => tf.concat([image, this.space.decode(tf.tensor2d(a, [1, this.space.dimension])) as tf.Tensor4D]) as tf.Tensor4D);
    image.dispose();
    const images = await imageGridPanel(pair, { id: 'slider-image', title: `Test image ${index}`, caption: 'The image and its reconstruction.', columns: 2 }).finally(() =>
      pair.dispose(),
    );
    return {
      kind: 'sliders',
      id: 'sliders',
      title: `Edit the code of test image ${index}`,
      caption:
        directions.labels[0] === 'z1'
          ? 'Each slider sets one dimension of the code; the image is decoded live.'
          : `The code has ${this.space.dimension} numbers: each slider moves it along one of its principal components; the image is decoded live.`,
      images,
      labels: directions.labels,
      // Copies: the worker posts a panel's arrays as transferables, which empties them here.
      values: Float32Array.from(start),
      ranges: Float32Array.from(ranges),
    };
  }
}
