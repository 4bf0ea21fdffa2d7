import { expect } from 'vitest';

/** What the tests of our WebAssembly kernels (wasm-simd-*.test.ts) share. */

/** Reproducible values in [-1, 1) (a linear congruential sequence). */
export function seededValues(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 2 - 1;
  });
}

/** Same length, and no value further from the reference than `bound` times the reference's largest magnitude. */
export function expectRelativelyClose(ours: ArrayLike<number>, expected: ArrayLike<number>, bound: number, label = ''): void {
  expect(ours.length, label).toBe(expected.length);
  const reference = Array.from(expected);
  const scale = Math.max(...reference.map(Math.abs), 1e-30);
  const worst = Math.max(0, ...Array.from(ours, (v, j) => Math.abs(v - reference[j])));
  expect(worst / scale, `${label}${label ? ': ' : ''}worst difference ${worst} of ${scale}`).toBeLessThan(bound);
}
