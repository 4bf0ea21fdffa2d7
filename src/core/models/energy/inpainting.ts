/**
 * Inpainting with an energy-based model: keep the top half of test images, start the rest
 * from noise, and let Langevin dynamics move only the free pixels down the energy. Nothing
 * was trained for this: an energy that is low on whole digits pulls the bottom half
 * towards one that fits the top (Du and Mordatch 2019, "Implicit Generation and
 * Generalization in Energy-Based Models", section 4.3, https://arxiv.org/abs/1903.08689).
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../../datasets/image-dataset';
import type { Random } from '../../random';
import type { JobContext } from '../../training/jobs';
import { imageGridPanel, type ImageGridPanel } from '../../views/panels';
import { langevin, type EnergyFunction, type LangevinSettings } from './langevin';

/** Test images filled in, and the moments of the walk shown for each. */
const INPAINTED = 8;
const COLUMNS = 8;

/**
 * Fills in the bottom half of the first test images by Langevin dynamics with the top half
 * held fixed, emitting the walk as a grid (a row per image: the test image, then the walk
 * from noise, a column every few steps); returns the last grid.
 */
export async function inpaint(energy: EnergyFunction, settings: LangevinSettings, test: ImageDataset, random: Random, job: JobContext): Promise<ImageGridPanel> {
  const [height, width, channels] = test.spec.shape;
  const kept = Math.floor(height / 2);
  const originals = test.take('test', test.firstIndices(INPAINTED, 'test'));
  const rows = originals.shape[0];
  // keep: 1 on the top `kept` rows of every image, 0 below: [rows, H, W, C]
  const keep = tf.tidy(() => tf.concat([tf.ones([rows, kept, width, channels]), tf.zeros([rows, height - kept, width, channels])], 1));
  const start = tf.tidy(() => keep.mul(originals).add(tf.onesLike(keep).sub(keep).mul(tf.randomUniform(originals.shape, 0, 1, 'float32', random.seed()))));
  const columns: tf.Tensor[] = [originals.clone(), start.clone()];
  const every = Math.max(1, Math.ceil(settings.steps / (COLUMNS - 2)));
  let panel: ImageGridPanel | undefined;
  const show = async (step: number) => {
    // [rows, H, W, C] per column -> [rows * columns, H, W, C], row-major: image by image
    const grid = tf.tidy(() => tf.stack(columns, 1).reshape([rows * columns.length, height, width, channels]) as tf.Tensor4D);
    panel = await imageGridPanel(grid, {
      id: 'inpainting',
      title: 'Filling in half an image',
      caption:
        `Each row: a test image (left), its top ${kept} rows kept and the rest replaced by noise, then Langevin dynamics moving only the replaced pixels down the energy, ` +
        `a column every ${every} of ${settings.steps} steps: step ${step} of ${settings.steps}.`,
      columns: columns.length,
    }).finally(() => grid.dispose());
    job.emit(panel, step / settings.steps);
    await job.checkpoint();
  };
  try {
    await show(0);
    const end = await langevin(
      energy,
      start,
      settings,
      random,
      async (x, step) => {
        if (step % every !== 0 && step !== settings.steps) return;
        columns.push(x.clone());
        await show(step);
      },
      { values: originals, keep },
    );
    end.dispose();
  } finally {
    tf.dispose([originals, keep, start, ...columns]);
  }
  return panel!;
}
