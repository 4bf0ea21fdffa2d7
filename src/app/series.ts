/** Chart series that stay small however long a run trains. */

export interface ChartPoint {
  step: number;
  [series: string]: number;
}

/** The latest value of a held-out figure, and when and on what it was computed. */
export interface HeldOutFigure {
  value: number;
  step: number;
  /** Training went on from this step while it was computed. */
  fromStep?: number;
  evaluation: string;
  basis: string;
}

/** Most points a series keeps; past it, every other point is dropped, so old history thins out. */
export const SERIES_CAP = 1500;

export function appendCapped(series: readonly ChartPoint[], points: readonly ChartPoint[], cap = SERIES_CAP): ChartPoint[] {
  let next = series.concat(points);
  while (next.length > cap) next = next.filter((_, index) => index % 2 === 1 || index === next.length - 1);
  return next;
}

/** Points a chart draws per series: more add nothing at chart width and cost the page time. */
export const DISPLAY_POINTS = 200;

/** At most `max` evenly spaced points of a series, always with its last one. */
export function thinned(series: readonly ChartPoint[], max = DISPLAY_POINTS): readonly ChartPoint[] {
  if (series.length <= max) return series;
  const stride = Math.ceil(series.length / max);
  return series.filter((_, index) => index % stride === 0 || index === series.length - 1);
}

/** Exponential moving average, the usual way to read a noisy training loss. */
export function smooth(previous: number | undefined, value: number, factor = 0.8): number {
  return previous === undefined || !Number.isFinite(previous) ? value : factor * previous + (1 - factor) * value;
}

const SMOOTHED = '_smooth';
/** The key under which a term's smoothed series is kept. */
export const smoothedKey = (term: string) => `${term}${SMOOTHED}`;

/** The series with only its smoothed terms (and the step): what a comparison keeps of a run. */
export function smoothedOnly(series: readonly ChartPoint[]): ChartPoint[] {
  return series.map((point) => {
    const kept: ChartPoint = { step: point.step };
    for (const [key, value] of Object.entries(point)) if (key.endsWith(SMOOTHED)) kept[key] = value;
    return kept;
  });
}

/** Held-out figures of one evaluation merged into the series: into the point of their step, or as a new point in step order. */
export function mergeHeldOut(series: readonly ChartPoint[], step: number, values: Record<string, number>): ChartPoint[] {
  const index = series.findIndex((point) => point.step === step);
  if (index >= 0) return series.map((point, i) => (i === index ? { ...point, ...values } : point));
  return appendCapped(series, [{ step, ...values }]).sort((a, b) => a.step - b.step);
}
