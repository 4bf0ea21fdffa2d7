import * as tf from '@tensorflow/tfjs';

/**
 * What a model shows besides its losses. Models return panels; the page renders each kind
 * through one table (src/app/components/Panels.tsx), so it never needs to know which model
 * produced them. Everything in a panel is plain data and typed arrays, cheap to post from
 * the worker as transferables.
 */

interface PanelBase {
  id: string;
  title: string;
  caption: string;
}

export interface ImageGridPanel extends PanelBase {
  kind: 'image-grid';
  /** uint8 values, [count, height, width, channels]: 1 (grey), 3 (RGB) or 4 (RGBA) channels. */
  pixels: Uint8ClampedArray;
  count: number;
  height: number;
  width: number;
  channels: number;
  columns: number;
  /** Cycles down the rows: ['data', 'reconstruction'] labels alternate rows. */
  rowLabels?: string[];
}

export interface ScatterPanel extends PanelBase {
  kind: 'scatter';
  /** [count, 2] interleaved x, y. */
  points: Float32Array;
  labels: Uint8Array;
  classNames: readonly string[];
  axisLabels: readonly [string, string];
  /** The frame of the plot; absent: fitted to the points. */
  extent?: Extent;
  /**
   * What the model makes of the plane behind the points: images decoded from a grid of
   * codes that tiles `extent` exactly, row 0 at the top (the largest y), so codes and
   * decoded images share one pair of axes.
   */
  background?: ImageGridPanel;
  /** The model decodes any point of this plane on request (the latent explorer's `decode-latent` action). */
  explorable?: boolean;
  /** What a point is called when hovered: "test image" (its index is its position). */
  pointName?: string;
}

/** One bar per item, e.g. the KL divergence carried by each latent dimension. */
export interface BarsPanel extends PanelBase {
  kind: 'bars';
  values: Float32Array;
  labels: readonly string[];
  unit: string;
  /** Bars below this are drawn as "inactive"; a warning, if any, says what that means. */
  threshold?: number;
  warning?: string;
}

/**
 * Sliders that move one test image's code along a few directions (its first dimensions,
 * or for long codes its first principal components); the page asks the model to decode
 * each setting (a `decode-latent` action with a sliders query) and shows the result.
 */
export interface SlidersPanel extends PanelBase {
  kind: 'sliders';
  /** The test image, then its reconstruction (what the sliders' starting values decode to). */
  images: ImageGridPanel;
  /** One label per slider: "z1" or "PC1". */
  labels: readonly string[];
  /** Where the image's code sits along each direction: the sliders' starting values. */
  values: Float32Array;
  /** [sliders, 2]: the lowest and highest value of each slider. */
  ranges: Float32Array;
}

/** A named set of 2-D points. */
export interface PointSeries {
  label: string;
  /** [n, 2] interleaved x, y. */
  points: Float32Array;
  /** dots (the default); a line through the points in order; or segments joining points 2i and 2i + 1. */
  style?: 'dots' | 'line' | 'segments';
  /** The data itself, drawn in a neutral grey beneath the model's series (which take the palette's colours in order). */
  role?: 'data';
}

/** A square or rectangle of the plane: [xMin, xMax, yMin, yMax]. */
export type Extent = readonly [number, number, number, number];

/** Several labelled sets of points in one plane: data, reconstructions, a decoded curve. */
export interface PointsPanel extends PanelBase {
  kind: 'points';
  series: PointSeries[];
  /** The frame; absent: fitted to the points. */
  extent?: Extent;
  axisLabels: readonly [string, string];
}

/**
 * A value at every point of a plane (a discriminator's output, an energy), sampled on a
 * grid and drawn as a heatmap, with optional arrows (gradients) and points on top.
 */
export interface FieldPanel extends PanelBase {
  kind: 'field';
  /** [rows, columns], row-major, the first row at the top (y = yMax), the first column at xMin. */
  values: Float32Array;
  rows: number;
  columns: number;
  extent: Extent;
  /** What a colour stands for: "D(x), the probability that x is real". */
  valueLabel: string;
  /** The values the colour scale spans; absent: the values' own minimum and maximum. */
  range?: readonly [number, number];
  /** Arrows from points[i] along vectors[i] (both [n, 2] interleaved), drawn to a common scale. */
  arrows?: { label: string; points: Float32Array; vectors: Float32Array };
  series?: PointSeries[];
  axisLabels: readonly [string, string];
}

/** Counts of values in bins, one or more series over the same bins (D's scores on real and fake data). */
export interface HistogramPanel extends PanelBase {
  kind: 'histogram';
  /** [bins + 1] increasing edges. */
  edges: Float32Array;
  series: { label: string; counts: Float32Array }[];
  /** What is counted, with its unit. */
  valueLabel: string;
  /** What a bar's height is: "count" (the default), or "probability" for a distribution. */
  heightLabel?: string;
}

/**
 * Several panels shown side by side as one view, updated together: a frame of a film
 * (the image so far, what its next prediction sees, and the distribution it draws from).
 */
export interface PanelGroup extends PanelBase {
  kind: 'group';
  panels: SinglePanel[];
}

export type SinglePanel = ImageGridPanel | ScatterPanel | BarsPanel | SlidersPanel | PointsPanel | FieldPanel | HistogramPanel;
export type ViewPanel = SinglePanel | PanelGroup;

/** What the latent explorer asks a model to decode: a point of its scatter, or the sliders' setting. */
export type LatentQuery = { kind: 'point'; point: [number, number] } | { kind: 'sliders'; values: number[] };

/** Reads values in [0, 1] shaped [N, H, W, C] back as a grid panel (awaited, never synchronous). */
export async function imageGridPanel(
  images: tf.Tensor4D,
  options: Pick<ImageGridPanel, 'id' | 'title' | 'caption' | 'columns' | 'rowLabels'>,
): Promise<ImageGridPanel> {
  const [count, height, width, channels] = images.shape;
  const bytes = tf.tidy(() => images.clipByValue(0, 1).mul(255).round().toInt());
  try {
    const data = await bytes.data();
    return { kind: 'image-grid', ...options, pixels: Uint8ClampedArray.from(data), count, height, width, channels };
  } finally {
    bytes.dispose();
  }
}

/** Every typed-array buffer in a list of panels, once each, for postMessage's transfer list. */
export function panelBuffers(panels: readonly ViewPanel[]): ArrayBuffer[] {
  return [...new Set(panels.flatMap(buffersOf))];
}

function buffersOf(panel: ViewPanel): ArrayBuffer[] {
  const buffers = (...arrays: ArrayBufferView[]) => arrays.map((array) => array.buffer as ArrayBuffer);
  const seriesBuffers = (series: readonly PointSeries[] = []) => buffers(...series.map((entry) => entry.points));
  switch (panel.kind) {
    case 'image-grid':
      return buffers(panel.pixels);
    case 'scatter':
      return [...buffers(panel.points, panel.labels), ...(panel.background ? buffers(panel.background.pixels) : [])];
    case 'bars':
      return buffers(panel.values);
    case 'sliders':
      return buffers(panel.images.pixels, panel.values, panel.ranges);
    case 'points':
      return seriesBuffers(panel.series);
    case 'field':
      return [...buffers(panel.values), ...(panel.arrows ? buffers(panel.arrows.points, panel.arrows.vectors) : []), ...seriesBuffers(panel.series)];
    case 'histogram':
      return buffers(panel.edges, ...panel.series.map((entry) => entry.counts));
    case 'group':
      return panel.panels.flatMap(buffersOf);
  }
}
