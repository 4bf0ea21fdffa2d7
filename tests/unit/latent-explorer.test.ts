import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { loadNodeDataset } from '../../src/cli/node-datasets';
import type { ImageDataset } from '../../src/core/datasets/image-dataset';
import { LatentExplorer, type CodeSpace } from '../../src/core/models/autoencoders/latent-explorer';
import type { ImageGridPanel, ScatterPanel, SlidersPanel, ViewPanel } from '../../src/core/views/panels';

let dataset: ImageDataset;

beforeAll(async () => {
  await useNodeBackend('cpu');
  dataset = loadNodeDataset('mnist');
});

/**
 * A linear code space whose decoder records the codes it is asked for: encode is a fixed
 * random projection of the pixels, decode writes the code into the first pixels.
 */
function recordingSpace(dimension: number) {
  const decoded: number[][] = [];
  const projection = tf.randomNormal([784, dimension], 0, 0.05, 'float32', 7) as tf.Tensor2D;
  const space: CodeSpace = {
    dimension,
    encode: (images: tf.Tensor) => images.reshape([images.shape[0], 784]).matMul(projection) as tf.Tensor2D,
    decode: (codes: tf.Tensor2D) => {
      decoded.push(...(codes.arraySync() as number[][]));
      return codes.pad([[0, 0], [0, 784 - dimension]]).reshape([codes.shape[0], 28, 28, 1]) as tf.Tensor4D;
    },
  };
  const codesOf = (indices: number[]) =>
    tf.tidy(() => space.encode(dataset.images('test', indices)).arraySync() as number[][]);
  return { space, decoded, codesOf, dispose: () => projection.dispose() };
}

const byId = <K extends ViewPanel['kind']>(panels: ViewPanel[], id: string, kind: K) => {
  const found = panels.find((panel) => panel.id === id);
  expect(found?.kind, id).toBe(kind);
  return found as Extract<ViewPanel, { kind: K }>;
};
const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 4) =>
  Array.from(expected).forEach((value, j) => expect(actual[j], `entry ${j}`).toBeCloseTo(value, digits));
const norm = (values: number[]) => Math.hypot(...values);

describe('latent explorer', () => {
  it('2-D codes: the scatter is the codes, a point decodes itself, the interpolation runs from a to b', async () => {
    const r = recordingSpace(2);
    const explorer = new LatentExplorer(r.space, { gaussianPrior: false, codeName: 'codes' }, [3, 2]);
    const before = tf.memory().numTensors;
    const panels = await explorer.panels(dataset);
    expect(tf.memory().numTensors).toBe(before);
    expect(panels.map((panel) => panel.id)).toEqual(['latent-scatter', 'interpolation', 'traversal', 'sliders']);

    const scatter = byId(panels, 'latent-scatter', 'scatter') as ScatterPanel;
    expect(scatter.axisLabels).toEqual(['z1', 'z2']);
    close(scatter.points.subarray(0, 4), r.codesOf([0, 1]).flat());

    // A plain code has no prior: the straight line only, between the two test images themselves.
    const interpolation = byId(panels, 'interpolation', 'image-grid') as ImageGridPanel;
    expect([interpolation.count, interpolation.columns, interpolation.rowLabels]).toEqual([10, 10, ['linear']]);
    const [a, b] = r.codesOf([3, 2]);
    r.decoded.length = 0;
    const again = await explorer.panels(dataset);
    // decode calls in order: the plane behind the scatter (12 x 12 cell centres, row 0 at the top),
    // the interpolation path (8 codes), the traversal, the sliders' reconstruction
    const plane = r.decoded.splice(0, 144);
    const [x0, x1, y0, y1] = (byId(again, 'latent-scatter', 'scatter') as ScatterPanel).extent!;
    close(plane[0], [x0 + (x1 - x0) / 24, y1 - (y1 - y0) / 24]);
    close(plane[143], [x1 - (x1 - x0) / 24, y0 + (y1 - y0) / 24]);
    expect(x1 - x0).toBeCloseTo(y1 - y0, 6); // the same scale on both axes
    close(r.decoded[0], a);
    close(r.decoded[7], b);
    close(r.decoded[4], a.map((value, j) => value + (4 / 7) * (b[j] - value)));

    r.decoded.length = 0;
    const point = await explorer.decode({ kind: 'point', point: [0.25, -0.5] });
    expect([point.count, point.id]).toEqual([1, 'decoded-point']);
    close(r.decoded[0], [0.25, -0.5], 6);
    r.dispose();
  });

  it('sliders move the code along its axes; 40-D codes move along principal components', async () => {
    for (const [dimension, labels] of [
      [3, ['z1', 'z2', 'z3']],
      [40, ['PC1', 'PC2', 'PC3', 'PC4', 'PC5']],
    ] as const) {
      const r = recordingSpace(dimension);
      const explorer = new LatentExplorer(r.space, { gaussianPrior: false, codeName: 'codes' }, [5, 6]);
      const panels = await explorer.panels(dataset);
      const sliders = byId(panels, 'sliders', 'sliders') as SlidersPanel;
      expect(sliders.labels).toEqual(labels);
      expect(sliders.title).toContain('test image 5');
      const start = Array.from(sliders.values);
      // Each slider starts inside its range: the range covers the test codes.
      start.forEach((value, k) => expect(value).toBeGreaterThan(sliders.ranges[2 * k]));
      start.forEach((value, k) => expect(value).toBeLessThan(sliders.ranges[2 * k + 1]));
      // The panel's second image is the image's own code decoded.
      const [a] = r.codesOf([5]);
      const size = 28 * 28;
      const reconstruction = Array.from(sliders.images.pixels.subarray(size, 2 * size));
      expect(reconstruction.slice(0, dimension)).toEqual(a.map((value) => Math.round(Math.min(1, Math.max(0, value)) * 255)));

      // At the starting values the sliders decode the image's own code.
      r.decoded.length = 0;
      await explorer.decode({ kind: 'sliders', values: start });
      close(r.decoded[0], a);
      // Moving the second slider by 0.5 moves the code by 0.5 along one unit direction.
      r.decoded.length = 0;
      await explorer.decode({ kind: 'sliders', values: start.map((value, k) => (k === 1 ? value + 0.5 : value)) });
      const shift = r.decoded[0].map((value, j) => value - a[j]);
      expect(norm(shift)).toBeCloseTo(0.5, 4);
      if (dimension === 3) close(shift, [0, 0.5, 0]);
      r.dispose();
    }
  });

  it('wide codes: a point of the PCA plane decodes mean + a pc1 + b pc2; the Gaussian prior adds slerp and wide ranges', async () => {
    const r = recordingSpace(40);
    const explorer = new LatentExplorer(r.space, { gaussianPrior: true, codeName: 'latent means' }, [3, 2]);
    const panels = await explorer.panels(dataset);
    const scatter = byId(panels, 'latent-scatter', 'scatter') as ScatterPanel;
    expect([scatter.axisLabels, scatter.title]).toEqual([['PC1', 'PC2'], 'Latent means of test images (PCA)']);
    // The plane's origin is the mean test code.
    const codes = r.codesOf(Array.from({ length: 1000 }, (_, i) => i));
    const mean = Array.from({ length: 40 }, (_, j) => codes.reduce((sum, code) => sum + code[j], 0) / codes.length);
    r.decoded.length = 0;
    await explorer.decode({ kind: 'point', point: [0, 0] });
    await explorer.decode({ kind: 'point', point: [3, 4] });
    close(r.decoded[0], mean, 3);
    expect(norm(r.decoded[1].map((value, j) => value - r.decoded[0][j]))).toBeCloseTo(5, 3);

    expect((byId(panels, 'interpolation', 'image-grid') as ImageGridPanel).rowLabels).toEqual(['linear', 'spherical']);
    const sliders = byId(panels, 'sliders', 'sliders') as SlidersPanel;
    Array.from(sliders.ranges).forEach((value, i) => expect(i % 2 ? value >= 3 : value <= -3).toBe(true));
    r.dispose();
  });
});
