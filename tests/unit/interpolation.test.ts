import { describe, expect, it } from 'vitest';
import { lerp, slerp } from '../../src/core/training/interpolation';

const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));

describe('interpolation between codes', () => {
  it('lerp goes from a to b along the straight line', () => {
    expect(Array.from(lerp([0, 2], [4, 6], 0))).toEqual([0, 2]);
    expect(Array.from(lerp([0, 2], [4, 6], 1))).toEqual([4, 6]);
    expect(Array.from(lerp([0, 2], [4, 6], 0.25))).toEqual([1, 3]);
  });

  it('slerp between orthogonal unit vectors stays on the unit circle, at the angle asked', () => {
    for (const t of [0, 0.25, 0.5, 0.9, 1]) {
      const point = slerp([1, 0], [0, 1], t);
      expect(norm(point)).toBeCloseTo(1, 6);
      expect(Math.atan2(point[1], point[0])).toBeCloseTo((t * Math.PI) / 2, 6);
    }
    // The straight midpoint is shorter: the reason to prefer slerp for Gaussian codes.
    expect(norm(lerp([1, 0], [0, 1], 0.5))).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('slerp falls back to lerp for parallel vectors', () => {
    expect(Array.from(slerp([1, 1], [2, 2], 0.5))).toEqual([1.5, 1.5]);
  });
});
