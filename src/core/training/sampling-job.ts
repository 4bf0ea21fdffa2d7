/**
 * Fresh samples on request, as a job: a grid of images, or a cloud of points beside the
 * data. Every model that generates gets it, through the same `sample(n)` the evaluation
 * layer will use. A slow sampler (pixel by pixel) reports its own progress and partial
 * grids through the job it is given; this one emits the finished set.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Random } from '../random';
import { imageGridPanel, type ViewPanel } from '../views/panels';
import type { JobContext } from './jobs';
import { readAndDispose } from './readback';
import type { TrainingSession } from './session';

const COLUMNS = 8;
export const MAX_SAMPLES = 256;
/** Points drawn per requested sample: a cloud needs more points than a grid needs images. */
const POINTS_PER_SAMPLE = 8;

export async function drawSamples(session: TrainingSession, count: number, random: Random, outer: JobContext): Promise<void> {
  const n = Math.max(1, Math.min(MAX_SAMPLES, Math.floor(count)));
  const { data } = session;
  const title = 'New samples';
  // A sampler that shows its own work (an EBM's chains) and ends on a finished frame keeps that frame on screen.
  let shownFinished = false;
  const job: JobContext = {
    get cancelled() {
      return outer.cancelled;
    },
    checkpoint: () => outer.checkpoint(),
    emit: (panel, progress) => {
      shownFinished = progress === 1;
      outer.emit(panel, progress);
    },
    pace: (ms) => outer.pace(ms),
  };
  if (data.kind === 'points') {
    const [points] = await readAndDispose(await session.sample(POINTS_PER_SAMPLE * n, random, job, true));
    if (shownFinished) return;
    const panel: ViewPanel = {
      kind: 'points',
      id: 'new-samples',
      title,
      caption: `${POINTS_PER_SAMPLE * n} new points drawn from the model, over the test points.`,
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
  const samples = (await session.sample(n, random, job, true)) as tf.Tensor4D;
  if (shownFinished) {
    samples.dispose();
    return;
  }
  const caption = `${n} new samples, drawn from the model at step ${session.step.toLocaleString('en-US')}.`;
  job.emit(await imageGridPanel(samples, { id: 'new-samples', title, caption, columns: COLUMNS }).finally(() => samples.dispose()), 1);
}
