import * as tf from '@tensorflow/tfjs';

/**
 * What a model shows besides its losses. Models return panels; the page renders them by
 * kind, so it never needs to know which model produced them. Everything in a panel is a
 * plain typed array, cheap to post from the worker as a transferable.
 */

export interface ImageGridPanel {
  kind: 'image-grid';
  id: string;
  title: string;
  caption: string;
  /** uint8 pixels, [count, height, width, channels]. */
  pixels: Uint8ClampedArray;
  count: number;
  height: number;
  width: number;
  channels: number;
  columns: number;
  /** Cycles down the rows: ['data', 'reconstruction'] labels alternate rows. */
  rowLabels?: string[];
}

export interface ScatterPanel {
  kind: 'scatter';
  id: string;
  title: string;
  caption: string;
  /** [count, 2] interleaved x, y. */
  points: Float32Array;
  labels: Uint8Array;
  classNames: readonly string[];
  axisLabels: readonly [string, string];
  /** The model decodes any point of this plane on request (the latent explorer). */
  explorable?: boolean;
}

/** One bar per item, e.g. the KL divergence carried by each latent dimension. */
export interface BarsPanel {
  kind: 'bars';
  id: string;
  title: string;
  caption: string;
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
 * each setting (a `sliders` latent query) and shows the result beside the image.
 */
export interface SlidersPanel {
  kind: 'sliders';
  id: string;
  title: string;
  caption: string;
  /** The test image, then its reconstruction (what the sliders' starting values decode to). */
  images: ImageGridPanel;
  /** One label per slider: "z1" or "PC1". */
  labels: readonly string[];
  /** Where the image's code sits along each direction: the sliders' starting values. */
  values: Float32Array;
  /** [sliders, 2]: the lowest and highest value of each slider. */
  ranges: Float32Array;
}

export type ViewPanel = ImageGridPanel | ScatterPanel | BarsPanel | SlidersPanel;

/** What the latent explorer asks a model to decode: a point of its scatter, or the sliders' setting. */
export type LatentQuery = { kind: 'point'; point: [number, number] } | { kind: 'sliders'; values: number[] };

/** Reads images in [0, 1] shaped [N, H, W, C] back as a grid panel (awaited, never synchronous). */
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

/** Every typed-array buffer in a list of panels, for postMessage's transfer list. */
export function panelBuffers(panels: readonly ViewPanel[]): ArrayBuffer[] {
  return panels.flatMap((panel) => {
    switch (panel.kind) {
      case 'image-grid':
        return [panel.pixels.buffer as ArrayBuffer];
      case 'scatter':
        return [panel.points.buffer as ArrayBuffer, panel.labels.buffer as ArrayBuffer];
      case 'bars':
        return [panel.values.buffer as ArrayBuffer];
      case 'sliders':
        return [panel.images.pixels.buffer as ArrayBuffer, panel.values.buffer as ArrayBuffer, panel.ranges.buffer as ArrayBuffer];
    }
  });
}
