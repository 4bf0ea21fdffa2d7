/**
 * Winograd's F(4, 3) and F(4, 5) kernels (src/core/wasm-simd/winograd-quad-kernels.ts) and
 * filter transforms (winograd-filters.ts), alone: along one row of columns, each lane of a
 * column's vector its own channel, the chain B^T d, G g, their product lane by lane, and A^T M
 * against the correlation summed in float64; and backwards, A e and G^T against the filter
 * gradient. The filter transforms alone, G g and G^T P, are each sum in float64 rounded once,
 * to the bit. Each with and without relaxed SIMD's fused multiply-add, which the transforms
 * use where a sum takes a scaled term. The convolution tests check the same through whole passes.
 */
import { describe, expect, it } from 'vitest';
import { allowRelaxedSimd } from '../../src/cli/node-backend';
import { hasRelaxedSimd, instantiateKernels } from '../../src/core/wasm-simd/kernels';
import { QUAD_G } from '../../src/core/wasm-simd/winograd-filters';
import { float32Bits, seededValues } from './wasm-simd-helpers';

const LANES = 4;
const TILES = 5;

// Node 20 has relaxed SIMD behind a flag
allowRelaxedSimd();
const variants = [false, true].filter((fused) => !fused || hasRelaxedSimd());
const cases = ([3, 5] as const).flatMap((taps) => variants.map((fused) => [taps, fused] as const));

describe.each(cases)('F(4, %i) along one row (fused multiply-add: %s)', (taps, fused) => {
  const planes = taps + 3;
  const columns = 4 * TILES + taps - 1;
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernels = instantiateKernels(memory, fused);
  const heap = new Float32Array(memory.buffer);
  // float indices: the columns d, the filter g, and room for planes, products, outputs
  const [d, g, u, v, m, y] = [0, 256, 512, 1024, 2048, 3072];
  const vectorBytes = LANES * 4;
  const planeFloats = TILES * LANES;
  heap.set(seededValues(columns * LANES, 11), d);
  heap.set(seededValues(taps * LANES, 12), g);
  const at = (base: number, p: number) => (base + p * planeFloats) * 4;
  const close = (ours: number, exact: number, scale: number) => expect(Math.abs(ours - exact)).toBeLessThan(2e-6 * scale);

  it('gives each lane its correlation: y[4t + i] = sum over k of d[4t + i + k] g[k]', () => {
    expect(variants).toContain(true); // the flag above must make the fused variant testable
    kernels[taps === 3 ? 'quadInput3' : 'quadInput5'](d * 4, vectorBytes, ...Array.from({ length: planes }, (_, p) => at(v, p)), TILES);
    kernels[taps === 3 ? 'quadFilter3' : 'quadFilter5'](g * 4, LANES, u * 4);
    // M_p = V_p U_p, lane by lane (a product over one channel)
    for (let p = 0; p < planes; p++) for (let t = 0; t < TILES; t++) for (let lane = 0; lane < LANES; lane++) {
      heap[m + p * planeFloats + t * LANES + lane] = Math.fround(heap[v + p * planeFloats + t * LANES + lane] * heap[u + p * LANES + lane]);
    }
    kernels[taps === 3 ? 'quadOutput3' : 'quadOutput5'](...Array.from({ length: planes }, (_, p) => at(m, p)), vectorBytes, y * 4, 4 * vectorBytes, TILES, 0);
    for (let column = 0; column < 4 * TILES; column++) for (let lane = 0; lane < LANES; lane++) {
      let exact = 0;
      for (let k = 0; k < taps; k++) exact += heap[d + (column + k) * LANES + lane] * heap[g + k * LANES + lane];
      close(heap[y + column * LANES + lane], exact, taps);
    }
  });

  it('gives each lane its filter gradient: dW[k] = sum over columns c of e[c] d[c + k]', () => {
    const [e, gradients, sums, dw] = [4096, 4352, 6144, 6400];
    heap.set(seededValues(4 * TILES * LANES, 13), e);
    kernels[taps === 3 ? 'quadInput3' : 'quadInput5'](d * 4, vectorBytes, ...Array.from({ length: planes }, (_, p) => at(v, p)), TILES);
    kernels[taps === 3 ? 'quadGradientColumns3' : 'quadGradientColumns5'](e * 4, vectorBytes, ...Array.from({ length: planes }, (_, p) => at(gradients, p)), TILES);
    // P_p = sum over tiles of V_p E_p, lane by lane
    for (let p = 0; p < planes; p++) for (let lane = 0; lane < LANES; lane++) {
      let sum = 0;
      for (let t = 0; t < TILES; t++) sum += heap[v + p * planeFloats + t * LANES + lane] * heap[gradients + p * planeFloats + t * LANES + lane];
      heap[sums + p * LANES + lane] = sum;
    }
    kernels[taps === 3 ? 'quadFilterGradient3' : 'quadFilterGradient5'](sums * 4, LANES, dw * 4);
    for (let k = 0; k < taps; k++) for (let lane = 0; lane < LANES; lane++) {
      let exact = 0;
      for (let column = 0; column < 4 * TILES; column++) exact += heap[e + column * LANES + lane] * heap[d + (column + k) * LANES + lane];
      close(heap[dw + k * LANES + lane], exact, 4 * TILES);
    }
  });
});

describe.each(cases)('F(4, %i) along the rows, straight from an image (fused multiply-add: %s)', (taps, fused) => {
  const planes = taps + 3;
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernels = instantiateKernels(memory, fused);
  const heap = new Float32Array(memory.buffer);
  const [input, inputRows, inputTile] = taps === 3 ? (['quadInput3', 'quadInputRows3', 'quadInputTile3'] as const) : (['quadInput5', 'quadInputRows5', 'quadInputTile5'] as const);
  // an image's rows of 4 vectors, of which the first 3 are transformed (the padding on the right
  // narrower than the image's last column); a padded copy's rows of 1 zero vector, those 3, and 2 zero vectors
  const rows = 4 * TILES + taps - 1;
  const [imageVectors, runVectors, before, after] = [4, 3, 1, 2];
  const paddedVectors = before + runVectors + after;
  const [image, padded, ours, reference, zeroRow] = [0, 1024, 4096, 8192, 12288];
  const planeFloats = TILES * paddedVectors * LANES;
  const planesAt = (base: number) => Array.from({ length: planes }, (_, p) => (base + p * planeFloats) * 4);
  /** The padded copy (at `padded`) of `count` image rows from row `from` (rows above the image zeros): runVectors of each between the zero vectors. */
  const padRows = (from: number, count: number) => {
    heap.fill(0, padded, padded + count * paddedVectors * LANES);
    for (let r = Math.max(0, -from); r < count; r++) {
      const row = image + (from + r) * imageVectors * LANES;
      heap.copyWithin(padded + (r * paddedVectors + before) * LANES, row, row + runVectors * LANES);
    }
  };
  heap.set(seededValues(rows * imageVectors * LANES, 31), image);

  it('writes the zeros around each row\'s run itself (quadInputRows): the planes of the padded copy, to the bit', () => {
    padRows(0, rows);
    // the planes' memory full of NaN first, so that every number must be written
    heap.fill(Number.NaN, ours, ours + planes * planeFloats);
    kernels[input](padded * 4, paddedVectors * 16, ...planesAt(reference), TILES);
    kernels[inputRows](image * 4, imageVectors * 16, ...planesAt(ours), TILES, runVectors * 16, before * 16, after * 16);
    const length = planes * planeFloats;
    expect(float32Bits(heap.subarray(ours, ours + length))).toEqual(float32Bits(heap.subarray(reference, reference + length)));
    // and the border columns are zeros, not what the NaN left
    expect(heap[ours]).toBe(0);
  });

  it('takes one tile\'s rows from anywhere (quadInputTile): rows beyond an image as a row of zeros, to the bit', () => {
    heap.fill(0, zeroRow, zeroRow + imageVectors * LANES);
    // a top edge tile: its first two rows above the image, the rest the image's first rows
    const rowAt = Array.from({ length: planes }, (_, j) => (j < 2 ? zeroRow : image + (j - 2) * imageVectors * LANES) * 4);
    padRows(-2, planes);
    heap.fill(Number.NaN, ours, ours + planes * planeFloats);
    kernels[input](padded * 4, paddedVectors * 16, ...planesAt(reference), 1);
    kernels[inputTile](...rowAt, ...planesAt(ours), runVectors * 16, before * 16, after * 16);
    const rowFloats = paddedVectors * LANES;
    for (let p = 0; p < planes; p++) {
      const [a, b] = [ours + p * planeFloats, reference + p * planeFloats];
      expect(float32Bits(heap.subarray(a, a + rowFloats)), `plane ${p}`).toEqual(float32Bits(heap.subarray(b, b + rowFloats)));
    }
  });
});

describe.each([3, 5] as const)('F(4, %i)\'s filter transforms', (taps) => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernels = instantiateKernels(memory, false);
  const heap = new Float32Array(memory.buffer);
  // a tap's [Ci, Co] of 12 numbers, zeros of both signs among them
  const size = 12;
  const planes = taps + 3;
  /** Row o of M times the rows at `from` (float index), each sum in float64 from 0 in j's order, rounded once. */
  const reference = (matrix: number[][], from: number) =>
    matrix.flatMap((row) => Array.from({ length: size }, (_, i) => Math.fround(row.reduce((sum, c, j) => sum + c * heap[from + j * size + i], 0))));

  it('makes the planes U = G g and the taps\' gradients G^T P, each number the float64 sum rounded once', () => {
    const [g, u, p, dw] = [0, 256, 512, 768];
    const values = (seed: number, n: number) => Float32Array.from(seededValues(n, seed), (v, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? -0 : v));
    heap.set(values(21, taps * size), g);
    heap.set(values(22, planes * size), p);
    kernels[taps === 3 ? 'quadFilter3' : 'quadFilter5'](g * 4, size, u * 4);
    kernels[taps === 3 ? 'quadFilterGradient3' : 'quadFilterGradient5'](p * 4, size, dw * 4);
    const transposed = QUAD_G[taps][0].map((_, k) => QUAD_G[taps].map((row) => row[k]));
    expect(float32Bits(heap.subarray(u, u + planes * size))).toEqual(float32Bits(reference(QUAD_G[taps], g)));
    expect(float32Bits(heap.subarray(dw, dw + taps * size))).toEqual(float32Bits(reference(transposed, p)));
  });
});

