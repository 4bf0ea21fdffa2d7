import { describe, expect, it } from 'vitest';
import { appendCapped, smooth, thinned, type ChartPoint } from '../../src/app/series';

const points = (count: number, from = 0): ChartPoint[] => Array.from({ length: count }, (_, i) => ({ step: from + i, loss: from + i }));

describe('chart series', () => {
  it('appendCapped keeps everything under the cap, then halves the history and keeps the newest point', () => {
    expect(appendCapped(points(3), points(2, 3), 10).map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
    const capped = appendCapped(points(10), points(1, 10), 10);
    // 11 points over a cap of 10: every other one (odd indices) plus the last
    expect(capped.map((p) => p.step)).toEqual([1, 3, 5, 7, 9, 10]);
  });

  it('thinned draws at most max evenly spaced points, always ending on the last', () => {
    const series = points(1000);
    const shown = thinned(series, 200);
    expect(shown.length).toBeLessThanOrEqual(201);
    expect(shown[0].step).toBe(0);
    expect(shown[shown.length - 1].step).toBe(999);
    expect(shown[1].step - shown[0].step).toBe(5); // stride ceil(1000 / 200)
    const short = points(50);
    expect(thinned(short, 200)).toBe(short); // short series pass through untouched
  });

  it('smooth is an exponential moving average starting at the first value', () => {
    expect(smooth(undefined, 10)).toBe(10);
    expect(smooth(10, 20)).toBeCloseTo(0.8 * 10 + 0.2 * 20, 12);
    expect(smooth(Number.NaN, 5)).toBe(5); // a NaN never poisons the average
  });
});
