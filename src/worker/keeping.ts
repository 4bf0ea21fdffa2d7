/**
 * What the worker keeps of a run so nothing is lost: the latest checkpoint (sent to the
 * page, which stores it; a reload or a lost GPU resumes from it) and the checkpoint of the
 * step whose sample quality beat all before (a GAN's samples can get worse as it trains
 * on, so the page offers to go back to it).
 */
import { qualityRank } from '../core/metrics/sample-quality';
import type { Checkpoint } from '../core/training/checkpoint';
import type { EvaluationPoint, TrainingSession } from '../core/training/session';
import { errorText, isMemoryFailure } from './failures';
import type { FromWorker } from './protocol';

/** What keeping needs of a run. */
export interface KeptRun {
  id: number;
  session: TrainingSession;
  /** The rank of the best sample-quality figures so far (qualityRank). */
  best?: number;
  /** The latest checkpoint, and when it was taken: what a lost GPU device resumes from. */
  saved: { at: number; checkpoint?: Checkpoint };
}

interface KeepingDeps {
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  now(): number;
  /** Whether the run is still the worker's: a reset while awaiting makes it stale. */
  isCurrent(target: KeptRun): boolean;
}

export function createKeeping({ post, now, isCurrent }: KeepingDeps) {
  /**
   * Saves the run's state and sends a copy to the page. Failing to save is reported and
   * training goes on: a checkpoint is insurance.
   */
  async function saveCheckpoint(target: KeptRun): Promise<void> {
    if (target.saved.checkpoint?.step === target.session.step) return;
    target.saved.at = now();
    try {
      const checkpoint = await target.session.checkpoint();
      if (!checkpoint || !isCurrent(target)) return;
      target.saved.checkpoint = checkpoint;
      const data = checkpoint.data.slice(0);
      post({ type: 'checkpoint', runId: target.id, checkpoint: { ...checkpoint, data } }, [data]);
    } catch (error) {
      if (!isCurrent(target) || isMemoryFailure(error)) throw error;
      post({ type: 'error', runId: target.id, message: `Could not save a checkpoint: ${errorText(error)}` });
    }
  }

  /**
   * Sample-quality figures better than any before in this run: a checkpoint of the model
   * they were computed on goes to the page. Only when the model has not moved since (no
   * training during the evaluation), so the checkpoint is the model that was judged.
   */
  async function keepIfBest(target: KeptRun, point: EvaluationPoint): Promise<void> {
    const ranked = qualityRank(point.values);
    if (!ranked || point.fromStep !== undefined || point.step !== target.session.step) return;
    if (target.best !== undefined && ranked.rank <= target.best) return;
    const checkpoint = await target.session.checkpoint();
    if (!checkpoint || !isCurrent(target) || checkpoint.step !== point.step) return;
    target.best = ranked.rank;
    post({ type: 'best', runId: target.id, key: ranked.key, value: ranked.value, checkpoint }, [checkpoint.data]);
  }

  return { saveCheckpoint, keepIfBest };
}
