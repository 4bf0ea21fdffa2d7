import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../src/core/models/model';
import { REFRESH_SHARE, RefreshSchedule, VIEWS_WAIT_MS } from '../../src/worker/refresh-schedule';

function clock(start = 0) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

const evaluation = (id: string, cadence: Evaluation['cadence']): Evaluation => ({ id, basis: id, cadence, run: async () => ({}) });

describe('RefreshSchedule', () => {
  it('while training, views and evaluations together take at most a fifth of the time', () => {
    const time = clock();
    const schedule = new RefreshSchedule({ metricsInterval: 100, viewsInterval: 1500, checkpointInterval: 30_000 }, time.now);
    const evaluations = [evaluation('held-out', 'refresh'), evaluation('bound', 10_000)];
    // a model whose views take 600 ms and whose figures take 400 ms and 2 s
    const costs: Record<string, number> = { 'held-out': 400, bound: 2000, views: 600 };
    schedule.startTraining();
    let refreshing = 0;
    for (let step = 1; step <= 20_000; step++) {
      time.advance(10); // a training step
      for (const due of schedule.dueEvaluations(evaluations, step, 'training')) {
        const started = time.now();
        time.advance(costs[due.id]);
        refreshing += costs[due.id];
        schedule.ranEvaluation(due.id, step, started, 'training');
      }
      if (schedule.viewsDue(step, 'training')) {
        const started = time.now();
        time.advance(costs.views);
        refreshing += costs.views;
        schedule.ranViews(step, started, 'training');
      }
    }
    expect(refreshing / time.now()).toBeLessThanOrEqual(1 / REFRESH_SHARE + 0.01);
    // and refreshing did happen, about as much as the budget allows
    expect(refreshing / time.now()).toBeGreaterThan(0.15);
  });

  it('a figure that costs more than the views still gets its turn, and the views wait for it at most VIEWS_WAIT_MS', () => {
    const time = clock();
    const schedule = new RefreshSchedule({ metricsInterval: 100, viewsInterval: 1500, checkpointInterval: 30_000 }, time.now);
    const evaluations = [evaluation('costly', 10_000)];
    // views of 700 ms, a figure of 1.2 s every 10 s: together they want more than the fifth of the time there is
    const costs: Record<string, number> = { costly: 1200, views: 700 };
    schedule.startTraining();
    const runs: Record<string, number[]> = { costly: [], views: [] };
    for (let step = 1; step <= 30_000; step++) {
      time.advance(10);
      for (const due of schedule.dueEvaluations(evaluations, step, 'training')) {
        const started = time.now();
        time.advance(costs[due.id]);
        runs.costly.push(time.now());
        schedule.ranEvaluation(due.id, step, started, 'training');
      }
      if (schedule.viewsDue(step, 'training')) {
        const started = time.now();
        time.advance(costs.views);
        runs.views.push(time.now());
        schedule.ranViews(step, started, 'training');
      }
    }
    const gaps = (times: number[]) => times.slice(1).map((at, i) => at - times[i]);
    // the figure comes about every 10 s plus the time its budget takes to accrue, not never
    expect(runs.costly.length).toBeGreaterThan(time.now() / 20_000);
    // and the views wait for it at most VIEWS_WAIT_MS, then for their own budget (a fifth of the time: 5 times their cost and the figure's)
    expect(Math.max(...gaps(runs.views))).toBeLessThanOrEqual(VIEWS_WAIT_MS + REFRESH_SHARE * (costs.costly + costs.views));
    let refreshing = 0;
    refreshing += runs.costly.length * costs.costly + runs.views.length * costs.views;
    expect(refreshing / time.now()).toBeLessThanOrEqual(1 / REFRESH_SHARE + 0.01);
  });

  it('once training stops, what is out of date is refreshed, except rare figures before their time; on-demand ones never', () => {
    const time = clock(1000);
    const schedule = new RefreshSchedule({ metricsInterval: 100, viewsInterval: 1500, checkpointInterval: 30_000 }, time.now);
    const evaluations = [evaluation('held-out', 'refresh'), evaluation('bound', 15_000), evaluation('asked', 'on-demand')];
    expect(schedule.dueEvaluations(evaluations, 0, 'settled').map((e) => e.id)).toEqual(['held-out', 'bound']);
    expect(schedule.viewsDue(0, 'settled')).toBe(true);
    schedule.ranEvaluation('held-out', 0, time.now(), 'settled');
    schedule.ranEvaluation('bound', 0, time.now(), 'settled');
    schedule.ranViews(0, time.now(), 'settled');
    // nothing changed: nothing to do, unless a live setting changed the model
    expect(schedule.dueEvaluations(evaluations, 0, 'settled')).toEqual([]);
    expect(schedule.viewsDue(0, 'settled')).toBe(false);
    expect(schedule.dueEvaluations(evaluations, 0, 'settled', true).map((e) => e.id)).toEqual(['held-out']);
    expect(schedule.viewsDue(0, 'settled', true)).toBe(true);
    // a step later: the held-out figures and the views again; the bound after 15 s
    time.advance(1000);
    expect(schedule.dueEvaluations(evaluations, 1, 'settled').map((e) => e.id)).toEqual(['held-out']);
    time.advance(14_000);
    expect(schedule.dueEvaluations(evaluations, 1, 'settled').map((e) => e.id)).toEqual(['held-out', 'bound']);
  });
});

describe('views cancelled before they were drawn', () => {
  const timing = { metricsInterval: 100, viewsInterval: 1500, checkpointInterval: 30_000 };
  /** The step at which views first come due while training runs at 10 ms a step (0: never within `steps`). */
  const firstViewsStep = (schedule: RefreshSchedule, time: ReturnType<typeof clock>, steps = 5_000) => {
    schedule.startTraining();
    for (let step = 1; step <= steps; step++) {
      time.advance(10);
      if (schedule.viewsDue(step, 'training')) return step;
    }
    return 0;
  };

  it('count what they cost so far: a start 3 s into views of step 0 trains for 15 s before drawing them, not at once', () => {
    // as before: views never drawn are due at the first step, whatever they will cost
    const fresh = clock(1000);
    expect(firstViewsStep(new RefreshSchedule(timing, fresh.now), fresh)).toBe(1);
    const time = clock(1000);
    const schedule = new RefreshSchedule(timing, time.now);
    expect(schedule.viewsDue(0, 'settled')).toBe(true);
    const started = time.now();
    time.advance(3000);
    schedule.cancelledViews(started);
    // still out of date: a pause now would draw them
    expect(schedule.viewsDue(0, 'settled')).toBe(true);
    // while training, only once a fifth of the training time covers their 3 s
    expect(firstViewsStep(schedule, time)).toBe((REFRESH_SHARE * 3000) / 10);
  });

  it('keep a larger cost known from before', () => {
    // views of step 0 that took 4 s, then views cancelled after 1 s: the known 4 s stays their
    // cost, so they wait for 20 s of training (had the cost become 1 s, 5 s would do)
    const time = clock(1000);
    const schedule = new RefreshSchedule(timing, time.now);
    schedule.ranViews(0, time.now() - 4000, 'settled');
    const started = time.now();
    time.advance(1000);
    schedule.cancelledViews(started);
    expect(firstViewsStep(schedule, time)).toBe((REFRESH_SHARE * 4000) / 10);
  });
});

describe('evaluations cancelled before they finished', () => {
  const timing = { metricsInterval: 100, viewsInterval: 1500, checkpointInterval: 30_000 };
  /** The step at which `figure` first comes due while training runs at 10 ms a step (0: never within `steps`). */
  const firstDueStep = (schedule: RefreshSchedule, time: ReturnType<typeof clock>, figure: Evaluation, steps = 5_000) => {
    schedule.startTraining();
    for (let step = 1; step <= steps; step++) {
      time.advance(10);
      if (schedule.dueEvaluations([figure], step, 'training').length) return step;
    }
    return 0;
  };

  it.each([['at every refresh', 'refresh'], ['every 10 s', 10_000]] as const)('%s: count what they cost so far; a start 2 s into one at step 0 trains for 10 s before it runs again', (_, cadence) => {
    const figure = evaluation('held-out', cadence);
    // as before: one never run is due at the first step, whatever it will cost
    const fresh = clock(1000);
    expect(firstDueStep(new RefreshSchedule(timing, fresh.now), fresh, figure)).toBe(1);
    const time = clock(1000);
    const schedule = new RefreshSchedule(timing, time.now);
    expect(schedule.dueEvaluations([figure], 0, 'settled')).toEqual([figure]);
    const started = time.now();
    time.advance(2000);
    schedule.cancelledEvaluation(figure.id, started);
    // never run to the end: a pause now would run it
    expect(schedule.dueEvaluations([figure], 0, 'settled')).toEqual([figure]);
    // while training, only once a fifth of the training time covers its 2 s
    expect(firstDueStep(schedule, time, figure)).toBe((REFRESH_SHARE * 2000) / 10);
  });

  it('one that waits for training, cancelled (a pause\'s, by the next start), still waits for its cadence and its cost', () => {
    const quality: Evaluation = { id: 'quality', basis: 'samples', cadence: 3_000, waitsForTraining: true, run: async () => ({}) };
    const time = clock(1000);
    const schedule = new RefreshSchedule(timing, time.now);
    // not at step 0, cancelled or not
    const started = time.now();
    time.advance(1000);
    schedule.cancelledEvaluation(quality.id, started);
    expect(schedule.dueEvaluations([quality], 0, 'settled')).toEqual([]);
    // one cadence (3 s) would do; its 1 s at a fifth of the time needs 5 s
    expect(firstDueStep(schedule, time, quality)).toBe(500);
  });
});

describe('an evaluation that waits for training', () => {
  it('is not computed at step 0, comes one cadence into training, and a pause before then brings it', () => {
    const time = { value: 0, now: () => time.value };
    const schedule = new RefreshSchedule({ metricsInterval: 100, viewsInterval: 1500, checkpointInterval: 30_000 }, time.now);
    const quality: Evaluation = { id: 'quality', basis: 'samples', cadence: 10_000, waitsForTraining: true, run: async () => ({}) };
    expect(schedule.dueEvaluations([quality], 0, 'settled')).toEqual([]);
    schedule.startTraining();
    time.value = 5_000;
    expect(schedule.dueEvaluations([quality], 100, 'training')).toEqual([]);
    time.value = 10_000;
    expect(schedule.dueEvaluations([quality], 200, 'training')).toEqual([quality]);
    // a fresh run paused at step 50, before its first turn: the pause brings it
    const other = new RefreshSchedule({ metricsInterval: 100, viewsInterval: 1500, checkpointInterval: 30_000 }, time.now);
    other.startTraining();
    expect(other.dueEvaluations([quality], 50, 'settled')).toEqual([quality]);
  });
});
