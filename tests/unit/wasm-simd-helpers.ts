import { expect } from 'vitest';

/** What the tests of our WebAssembly kernels (wasm-simd-*.test.ts) share. */

export { seededValues } from '../../src/cli/shared-heap-backend';

/** Same length, and no value further from the reference than `bound` times the reference's largest magnitude. */
export function expectRelativelyClose(ours: ArrayLike<number>, expected: ArrayLike<number>, bound: number, label = ''): void {
  expect(ours.length, label).toBe(expected.length);
  const reference = Array.from(expected);
  const scale = Math.max(...reference.map(Math.abs), 1e-30);
  const worst = Math.max(0, ...Array.from(ours, (v, j) => Math.abs(v - reference[j])));
  expect(worst / scale, `${label}${label ? ': ' : ''}worst difference ${worst} of ${scale}`).toBeLessThan(bound);
}

/** Float32 values as their bit patterns (to compare to the bit: -0 apart from 0), each NaN made the one canonical NaN when `canonicalNaN`. */
export function float32Bits(values: ArrayLike<number>, canonicalNaN = false): number[] {
  return Array.from(new Uint32Array(Float32Array.from(values, (value) => (canonicalNaN && Number.isNaN(value) ? NaN : value)).buffer));
}

/** A float32 tensor's values as their bit patterns, copied exactly (a NaN's payload too). */
export async function tensorBits(tensor: { data(): Promise<ArrayLike<number> & { slice(): { buffer: ArrayBufferLike } }> }): Promise<number[]> {
  return Array.from(new Uint32Array((await tensor.data()).slice().buffer));
}

/** How many float32 steps apart a and b are (both finite, of one sign or zero). */
export const ulpsApart = (a: number, b: number): number => {
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(bits[0] - bits[1]);
};

/** How many times a relaxed SIMD instruction occurs in a module's bytes: 0xfd, then its code as LEB128 (0x105 relaxed_madd, 0x106 relaxed_nmadd). */
export const relaxedOccurrences = (bytes: Uint8Array, code: number): number => bytes.reduce((count, byte, i) => count + (byte === 0xfd && bytes[i + 1] === code && bytes[i + 2] === 0x02 ? 1 : 0), 0);
