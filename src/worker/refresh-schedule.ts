/**
 * When to refresh what: each evaluation at its own cadence and the views at theirs, all
 * within one budget: while training runs, refreshing (views and every evaluation together)
 * takes at most 1 / REFRESH_SHARE of the time since training started. Once training stops
 * (pause, a single step, a reset), whatever is out of date is brought up to date, except
 * the rare, costly figures, which still wait for their cadence.
 */
import type { Evaluation } from '../core/models/model';

export interface RefreshTiming {
  /** Training terms are read back and sent at most this often (ms). */
  metricsInterval: number;
  /** Views, and the evaluations that go with them, are refreshed at most this often (ms). */
  viewsInterval: number;
  /** A checkpoint is saved after at most this much training (ms): a lost page or worker loses no more. */
  checkpointInterval: number;
}

export const DEFAULT_TIMING: RefreshTiming = { metricsInterval: 100, viewsInterval: 1500, checkpointInterval: 30_000 };
/** Refreshing may take at most 1 / REFRESH_SHARE of the training time. */
export const REFRESH_SHARE = 5;

/** Training keeps going (due by time, within the budget), or has stopped and the page should see the current step. */
export type RefreshMode = 'training' | 'settled';

interface LastRun {
  at: number;
  step: number;
  cost: number;
}

const NEVER: LastRun = { at: -Infinity, step: -1, cost: 0 };

export class RefreshSchedule {
  private readonly evaluations = new Map<string, LastRun>();
  private views: LastRun = NEVER;
  /** Since when training has run, and how long refreshes took meanwhile (ms). */
  private budget = { since: 0, spent: 0 };

  constructor(
    private readonly timing: RefreshTiming,
    private readonly now: () => number,
  ) {}

  /** Training (re)starts: the budget counts from now. */
  startTraining(): void {
    this.budget = { since: this.now(), spent: 0 };
  }

  /** Its interval has passed, and doing it again (at its last cost) keeps refreshing within its share of the time. */
  private dueWhileTraining(last: LastRun, interval: number): boolean {
    const now = this.now();
    return now - last.at >= interval && this.budget.spent + last.cost <= (now - this.budget.since) / REFRESH_SHARE;
  }

  /** The evaluations to run now, in the model's order. `force`: the model changed (a live setting), so figures at this step are stale too. */
  dueEvaluations(evaluations: readonly Evaluation[], step: number, mode: RefreshMode, force = false): Evaluation[] {
    return evaluations.filter((evaluation) => {
      if (evaluation.cadence === 'on-demand') return false;
      const never = this.evaluations.get(evaluation.id) === undefined;
      // One that waits for training is not computed at step 0, and while training its first turn
      // comes one cadence in (it counts as done when training started); a pause before then brings it.
      if (never && evaluation.waitsForTraining && step === 0) return false;
      const last = this.evaluations.get(evaluation.id) ?? (evaluation.waitsForTraining && mode === 'training' ? { at: this.budget.since, step: 0, cost: 0 } : NEVER);
      const interval = evaluation.cadence === 'refresh' ? this.timing.viewsInterval : evaluation.cadence;
      if (mode === 'training') return this.dueWhileTraining(last, interval);
      const stale = last.step !== step || force;
      return evaluation.cadence === 'refresh' ? stale : last === NEVER || (stale && this.now() - last.at >= interval);
    });
  }

  viewsDue(step: number, mode: RefreshMode, force = false): boolean {
    return mode === 'training' ? this.dueWhileTraining(this.views, this.timing.viewsInterval) : this.views.step !== step || force;
  }

  /** Records a refresh that started at `startedAt`, for `step`; while training, its cost counts against the budget. */
  ranEvaluation(id: string, step: number, startedAt: number, mode: RefreshMode): void {
    this.evaluations.set(id, this.record(step, startedAt, mode));
  }

  ranViews(step: number, startedAt: number, mode: RefreshMode): void {
    this.views = this.record(step, startedAt, mode);
  }

  private record(step: number, startedAt: number, mode: RefreshMode): LastRun {
    const cost = this.now() - startedAt;
    if (mode === 'training') this.budget.spent += cost;
    return { at: this.now(), step, cost };
  }
}
