/**
 * When to refresh what: each evaluation at its own cadence and the views at theirs, all
 * within one budget: while training runs, refreshing (views and every evaluation together)
 * takes at most 1 / REFRESH_SHARE of the time since training started. Once training stops
 * (pause, a single step, a reset), whatever is out of date is brought up to date, except
 * the rare, costly figures, which still wait for their cadence.
 *
 * A figure that costs more than the views would never get its turn if the views took the
 * budget as soon as it accrued: while one is due and waits for budget, the views leave it
 * room (its last cost), for at most VIEWS_WAIT_MS.
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
/** The views leave the budget to a waiting figure for at most this long (ms) since they were last drawn. */
export const VIEWS_WAIT_MS = 10_000;

/** Training keeps going (due by time, within the budget), or has stopped and the page should see the current step. */
export type RefreshMode = 'training' | 'settled';

interface LastRun {
  at: number;
  step: number;
  cost: number;
}

const NEVER: LastRun = { at: -Infinity, step: -1, cost: 0 };

/** Whether a record is of a run to the end: one only cancelled keeps NEVER's step, with a cost. */
const completed = (last: LastRun | undefined): last is LastRun => last !== undefined && last.step >= 0;

export class RefreshSchedule {
  private readonly evaluations = new Map<string, LastRun>();
  private views: LastRun = NEVER;
  /** Since when training has run, and how long refreshes took meanwhile (ms). */
  private budget = { since: 0, spent: 0 };
  /** What the evaluations that are due but wait for budget cost last time (ms), as of the last dueEvaluations while training. */
  private waiting = 0;

  constructor(
    private readonly timing: RefreshTiming,
    private readonly now: () => number,
  ) {}

  /** Training (re)starts: the budget counts from now. */
  startTraining(): void {
    this.budget = { since: this.now(), spent: 0 };
  }

  /** Its interval has passed, and doing it again (at its last cost, plus what it leaves to others) keeps refreshing within its share of the time. */
  private dueWhileTraining(last: LastRun, interval: number, leave = 0): boolean {
    const now = this.now();
    return now - last.at >= interval && this.budget.spent + last.cost + leave <= (now - this.budget.since) / REFRESH_SHARE;
  }

  /** The evaluations to run now, in the model's order. `force`: the model changed (a live setting), so figures at this step are stale too. */
  dueEvaluations(evaluations: readonly Evaluation[], step: number, mode: RefreshMode, force = false): Evaluation[] {
    if (mode === 'training') this.waiting = 0;
    return evaluations.filter((evaluation) => {
      if (evaluation.cadence === 'on-demand') return false;
      const recorded = this.evaluations.get(evaluation.id);
      const never = !completed(recorded);
      // One that waits for training is not computed at step 0, and while training its first turn
      // comes one cadence in (it counts as done when training started); a pause before then brings it.
      if (never && evaluation.waitsForTraining && step === 0) return false;
      // never run to the end: its cost is what a cancelled attempt took, if any
      const lastCost = recorded?.cost ?? 0;
      const last = completed(recorded) ? recorded : evaluation.waitsForTraining && mode === 'training' ? { at: this.budget.since, step: 0, cost: lastCost } : { ...NEVER, cost: lastCost };
      const interval = evaluation.cadence === 'refresh' ? this.timing.viewsInterval : evaluation.cadence;
      if (mode === 'training') {
        const due = this.dueWhileTraining(last, interval);
        if (!due && this.now() - last.at >= interval) this.waiting += last.cost;
        return due;
      }
      const stale = last.step !== step || force;
      return evaluation.cadence === 'refresh' ? stale : never || (stale && this.now() - last.at >= interval);
    });
  }

  viewsDue(step: number, mode: RefreshMode, force = false): boolean {
    if (mode !== 'training') return this.views.step !== step || force;
    const waitedLongEnough = this.now() - this.views.at >= VIEWS_WAIT_MS;
    return this.dueWhileTraining(this.views, this.timing.viewsInterval, waitedLongEnough ? 0 : this.waiting);
  }

  /** Records a refresh that started at `startedAt`, for `step`; while training, its cost counts against the budget. */
  ranEvaluation(id: string, step: number, startedAt: number, mode: RefreshMode): void {
    this.evaluations.set(id, this.record(step, startedAt, mode));
  }

  ranViews(step: number, startedAt: number, mode: RefreshMode): void {
    this.views = this.record(step, startedAt, mode);
  }

  /**
   * Views that began at `startedAt` and were cancelled (a start, a step or a reset came
   * first): they stay out of date, but cost at least that much, and the budget counts on it.
   * Without this, pressing Train while the views of step 0 were being drawn left their cost
   * unknown, and training stopped at step 1 to draw them at once (PixelCNN++'s, about 5 s).
   * (A cancel while training ends the loop, and the next start's budget begins afresh: the
   * time spent is not counted against it.)
   */
  cancelledViews(startedAt: number): void {
    this.views = this.cancelled(this.views, startedAt);
  }

  /** The same for an evaluation (PixelCNN++'s held-out figure on 200 images, cancelled by Train at step 0). */
  cancelledEvaluation(id: string, startedAt: number): void {
    this.evaluations.set(id, this.cancelled(this.evaluations.get(id) ?? NEVER, startedAt));
  }

  private cancelled(last: LastRun, startedAt: number): LastRun {
    return { ...last, cost: Math.max(last.cost, this.now() - startedAt) };
  }

  private record(step: number, startedAt: number, mode: RefreshMode): LastRun {
    const cost = this.now() - startedAt;
    if (mode === 'training') this.budget.spent += cost;
    return { at: this.now(), step, cost };
  }
}
