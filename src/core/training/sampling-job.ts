/**
 * Fresh samples on request, as a job: a grid of images filled a chunk at a time (each
 * chunk a checkpoint, so the page sees progress and can cancel), or a cloud of points
 * beside the data. Every model that generates gets it; the evaluation layer calls the same
 * `sample(n)`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import { imageGridPanel, type ViewPanel } from '../views/panels';
import type { JobContext } from './jobs';
import { readAndDispose } from './readback';
import type { TrainingSession } from './session';

/** Images drawn at a time: progress every chunk. */
const CHUNK = 16;
const COLUMNS = 8;
export const MAX_SAMPLES = 256;

export async function drawSamples(session: TrainingSession, count: number, random: Random, job: JobContext): Promise<void> {
  const n = Math.max(1, Math.min(MAX_SAMPLES, Math.floor(count)));
  const { data } = session;
  const title = 'New samples';
  if (data.kind === 'points') {
    const [points] = await readAndDispose(await session.sample(8 * n, random, job));
    const panel: ViewPanel = {
      kind: 'points',
      id: 'new-samples',
      title,
      caption: `${8 * n} new points drawn from the model, over the test points.`,
      series: [
        { label: 'data (test points)', points: data.coordinates('test'), role: 'data' },
        { label: 'new samples', points },
      ],
      extent: [...data.spec.extent, ...data.spec.extent],
      axisLabels: ['x1', 'x2'],
    };
    job.emit(panel, 1);
    return;
  }
  const drawn: tf.Tensor[] = [];
  try {
    for (let done = 0; done < n; done += CHUNK) {
      drawn.push(await session.sample(Math.min(CHUNK, n - done), random, job));
      const grid = tf.concat(drawn) as tf.Tensor4D; // [so far, H, W, C]
      const caption = `${grid.shape[0]} of ${n} new samples, drawn from the model.`;
      const panel = await imageGridPanel(grid, { id: 'new-samples', title, caption, columns: COLUMNS }).finally(() => grid.dispose());
      job.emit(panel, Math.min(1, (done + CHUNK) / n));
      await job.checkpoint();
    }
  } finally {
    tf.dispose(drawn);
  }
}
