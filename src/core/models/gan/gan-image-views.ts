/**
 * What a GAN on images shows: a grid of samples from the same noise at every refresh (so
 * a change is the generator's, not the noise's), and histograms of D's verdicts on real
 * test images and on fakes: two humps far apart mean D tells them apart easily; one hump
 * means G fools it (or D has given up).
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../../datasets/image-dataset';
import type { Random } from '../../random';
import type { JobContext } from '../../training/jobs';
import { readAndDispose } from '../../training/readback';
import { imageGridPanel, type HistogramPanel, type ViewPanel } from '../../views/panels';

const GRID = 64;
const COLUMNS = 8;
const SCORED = 500;
const BINS = 20;

export interface GanParts {
  /** The classes G and D are told, when the GAN is class-conditional. */
  classNames?: readonly string[];
  generate(z: tf.Tensor2D, labels?: tf.Tensor1D): tf.Tensor;
  noise(n: number, random: Random): tf.Tensor2D;
  /** D's verdicts, [B]: probabilities, or the critic's scores. */
  scores(x: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor1D;
}

export async function imageViews(data: ImageDataset, random: Random, job: JobContext, gan: GanParts): Promise<ViewPanel[]> {
  const classes = gan.classNames?.length ?? 0;
  // conditional: a row of COLUMNS samples for each class
  const count = classes ? classes * COLUMNS : GRID;
  const gridLabels = (n: number) => (classes ? tf.tensor1d(Int32Array.from({ length: n }, (_, i) => Math.floor(i / COLUMNS) % classes), 'int32') : undefined);
  const images = tf.tidy(() => gan.generate(gan.noise(count, random), gridLabels(count)) as tf.Tensor4D);
  let grid: ViewPanel;
  try {
    grid = await imageGridPanel(images, {
      id: 'samples',
      title: 'Generated samples',
      caption: classes
        ? `Images the generator makes from the same ${COLUMNS} noise vectors at every refresh, one row for each class it is asked for.`
        : `Images the generator makes from the same ${GRID} noise vectors at every refresh: what changes is the generator.`,
      columns: COLUMNS,
      ...(gan.classNames ? { rowLabels: [...gan.classNames] } : {}),
    });
  } finally {
    images.dispose();
  }
  await job.checkpoint();
  const indices = data.firstIndices(SCORED);
  const [real, fake] = await readAndDispose(
    tf.tidy(() => gan.scores(data.take('test', indices), classes ? tf.tensor1d(Int32Array.from(data.labels('test', indices)), 'int32') : undefined)),
    tf.tidy(() => {
      const labels = gridLabels(SCORED);
      return gan.scores(gan.generate(gan.noise(SCORED, random), labels), labels);
    }),
  );
  return [grid, scoreHistogram(real, fake)];
}

function scoreHistogram(real: Float32Array, fake: Float32Array): HistogramPanel {
  let [low, high] = [Infinity, -Infinity];
  for (const value of [...real, ...fake]) [low, high] = [Math.min(low, value), Math.max(high, value)];
  if (!(high > low)) [low, high] = [low - 0.5, low + 0.5];
  const edges = Float32Array.from({ length: BINS + 1 }, (_, i) => low + ((high - low) * i) / BINS);
  const count = (values: Float32Array) => {
    const counts = new Float32Array(BINS);
    for (const value of values) counts[Math.min(BINS - 1, Math.floor(((value - low) / (high - low)) * BINS))] += 1;
    return counts;
  };
  return {
    kind: 'histogram',
    id: 'discriminator-scores',
    title: "The discriminator's verdicts",
    caption: `D's verdict on ${real.length} test images and ${fake.length} fakes. Apart: D tells them apart. Overlapping: the fakes pass, or D has stopped learning.`,
    edges,
    series: [
      { label: 'real test images', counts: count(real) },
      { label: 'generated images', counts: count(fake) },
    ],
    valueLabel: "D's verdict",
  };
}
