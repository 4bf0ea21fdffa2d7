/**
 * When to refresh what: each evaluation at its own cadence and the views at theirs, each
 * spaced to at least REFRESH_SHARE times its own last cost, so that refreshing never takes
 * more than a fifth of the time training could use. While training runs, a refresh waits
 * for its time; once training stops (pause, a single step, a reset), whatever is out of
 * date is brought up to date, except the rare, costly figures, which still wait their turn.
 */
import type { Evaluation } from '../core/models/model';

export interface RefreshTiming {
  /** Training terms are read back and sent at most this often (ms). */
  metricsInterval: number;
  /** Views, and the evaluations that go with them, are refreshed at most this often (ms). */
  viewsInterval: number;
}

export const DEFAULT_TIMING: RefreshTiming = { metricsInterval: 100, viewsInterval: 1500 };
/** Refresh no more often than every REFRESH_SHARE times its own cost: at most 1/5 of the time. */
export const REFRESH_SHARE = 5;

/** Training keeps going (due by time), or has stopped and the page should see the current step. */
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

  constructor(
    private readonly timing: RefreshTiming,
    private readonly now: () => number,
  ) {}

  private dueByTime(last: LastRun, interval: number): boolean {
    return this.now() - last.at >= Math.max(interval, REFRESH_SHARE * last.cost);
  }

  /** The evaluations to run now, in the model's order. `force`: the model changed (a live setting), so figures at this step are stale too. */
  dueEvaluations(evaluations: readonly Evaluation[], step: number, mode: RefreshMode, force = false): Evaluation[] {
    return evaluations.filter((evaluation) => {
      if (evaluation.cadence === 'on-demand') return false;
      const last = this.evaluations.get(evaluation.id) ?? NEVER;
      const interval = evaluation.cadence === 'refresh' ? this.timing.viewsInterval : evaluation.cadence;
      if (mode === 'training') return this.dueByTime(last, interval);
      const stale = last.step !== step || force;
      return evaluation.cadence === 'refresh' ? stale : last === NEVER || (stale && this.dueByTime(last, interval));
    });
  }

  viewsDue(step: number, mode: RefreshMode, force = false): boolean {
    return mode === 'training' ? this.dueByTime(this.views, this.timing.viewsInterval) : this.views.step !== step || force;
  }

  ranEvaluation(id: string, step: number, startedAt: number): void {
    this.evaluations.set(id, { at: this.now(), step, cost: this.now() - startedAt });
  }

  ranViews(step: number, startedAt: number): void {
    this.views = { at: this.now(), step, cost: this.now() - startedAt };
  }
}
