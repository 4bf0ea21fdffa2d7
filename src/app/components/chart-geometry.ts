/**
 * The arithmetic of the training charts, apart from drawing: the value axis (linear or
 * log, round ticks), pixel mappings, a series as one SVG path, and the point nearest the
 * pointer. Drawing a chart is then a handful of SVG elements, cheap enough to redraw live
 * without holding up the page (a chart library took tens of ms a redraw here).
 */
import { formatTick, niceStep, ticks } from './ticks';

export interface ValueAxis {
  low: number;
  high: number;
  log: boolean;
  ticks: number[];
  labels: string[];
}

/** The 1, 2 and 5 x 10^k values in [low, high] (both positive). */
function roundLogValues(low: number, high: number, multiples: readonly number[]): number[] {
  const values: number[] = [];
  for (let power = Math.floor(Math.log10(low)) - 1; power <= Math.ceil(Math.log10(high)) + 1 && values.length < 60; power++) {
    for (const multiple of multiples) {
      const value = Number((multiple * 10 ** power).toPrecision(12));
      if (value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9)) values.push(value);
    }
  }
  return values;
}

/** The round value at or below `value` (at or above, with `up`) among the 1, 2, 5 x 10^k. */
function roundLog(value: number, up: boolean): number {
  const power = 10 ** Math.floor(Math.log10(value));
  const candidates = [1, 2, 5, 10].map((multiple) => Number((multiple * power).toPrecision(12)));
  return up ? candidates.find((candidate) => candidate >= value * (1 - 1e-9))! : [...candidates].reverse().find((candidate) => candidate <= value * (1 + 1e-9))!;
}

/**
 * The value axis over `values` (non-finite ones ignored). Linear: from 0 when `fromZero`
 * and nothing is below 0, else from the lowest value, to round ends. Log (all values
 * positive): round ends among 1, 2, 5 x 10^k, ticks at powers of ten, or at 1, 2, 5 x 10^k
 * when the range is under two decades.
 */
export function valueAxis(values: Iterable<number>, { log = false, fromZero = true }: { log?: boolean; fromZero?: boolean } = {}): ValueAxis {
  let [min, max] = [Infinity, -Infinity];
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (min > max) [min, max] = [0, 1];
  if (log && min > 0) {
    const [low, high] = min === max ? [roundLog(min / 2, false), roundLog(max * 2, true)] : [roundLog(min, false), roundLog(max, true)];
    const decades = Math.log10(high / low);
    const candidates = roundLogValues(low, high, decades > 6 ? [1] : decades >= 2 ? [1] : decades >= 0.7 ? [1, 2, 5] : [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9]);
    const shown = decades > 6 ? candidates.filter((_, index) => index % Math.ceil(candidates.length / 6) === 0) : candidates;
    return { low, high, log: true, ticks: shown, labels: shown.map((value) => formatTick(value, 10 ** Math.floor(Math.log10(value) + 1e-9))) };
  }
  let low = fromZero && min >= 0 ? 0 : min;
  let high = max;
  if (high === low) [low, high] = low === 0 ? [0, 1] : [low - Math.abs(low) / 2, high + Math.abs(high) / 2];
  const step = niceStep(high - low, 5);
  // round ends, free of floating-point dust (0.35000000000000003)
  low = Number((Math.floor(low / step + 1e-9) * step).toPrecision(12));
  high = Number((Math.ceil(high / step - 1e-9) * step).toPrecision(12));
  const marks = ticks(low, high, step);
  return { low, high, log: false, ticks: marks, labels: marks.map((value) => formatTick(value, step)) };
}

/**
 * Every how many ticks to label, so that labelled ticks (the first, then every stride-th) at
 * these pixel positions stay `gap` pixels apart: a short chart (a phone's) keeps its grid
 * lines but labels every second or third.
 */
export function labelStride(positions: readonly number[], gap: number): number {
  const crowded = (stride: number) => positions.some((position, i) => i >= stride && i % stride === 0 && Math.abs(position - positions[i - stride]) < gap);
  let stride = 1;
  while (stride < positions.length && crowded(stride)) stride += 1;
  return stride;
}

/**
 * An axis title in one line, or two when it is longer than `room` pixels at `characterWidth`
 * a character: the vertical title of a short chart (a phone's) would run past its ends. It
 * breaks at the space nearest its middle; a title without one stays whole.
 */
export function titleLines(title: string, room: number, characterWidth: number): string[] {
  if (title.length * characterWidth <= room) return [title];
  const middle = title.length / 2;
  let best = -1;
  for (let i = 0; i < title.length; i++) if (title[i] === ' ' && (best < 0 || Math.abs(i - middle) < Math.abs(best - middle))) best = i;
  return best < 0 ? [title] : [title.slice(0, best), title.slice(best + 1)];
}

/** Maps [domainLow, domainHigh] onto [rangeFrom, rangeTo] (a log scale in log space). */
export function scale(domainLow: number, domainHigh: number, rangeFrom: number, rangeTo: number, log = false): (value: number) => number {
  const f = log ? Math.log10 : (value: number) => value;
  const [a, b] = [f(domainLow), f(domainHigh)];
  const span = b - a || 1;
  return (value) => rangeFrom + ((f(value) - a) / span) * (rangeTo - rangeFrom);
}

/** One SVG path through a series' points that have `key` (finite, and positive on a log axis): gaps are bridged. */
export function linePath(points: readonly Record<string, number>[], key: string, x: (step: number) => number, y: (value: number) => number, log = false): string {
  let path = '';
  for (const point of points) {
    const value = point[key];
    if (value === undefined || !Number.isFinite(value) || (log && value <= 0)) continue;
    path += `${path ? 'L' : 'M'}${x(point.step).toFixed(1)},${y(value).toFixed(1)}`;
  }
  return path;
}

/** The index of the point whose step is nearest `step` in a series sorted by step; -1 for none. */
export function nearestIndex(points: readonly { step: number }[], step: number): number {
  if (points.length === 0) return -1;
  let [lo, hi] = [0, points.length - 1];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid].step <= step) lo = mid;
    else hi = mid;
  }
  return Math.abs(points[hi].step - step) < Math.abs(points[lo].step - step) ? hi : lo;
}
