/**
 * Winograd's F(4, 3) and F(4, 5) kernels (src/core/wasm-simd/winograd-quad-kernels.ts) and
 * filter transforms (winograd-filters.ts), alone: along one row of columns, each lane of a
 * column's vector its own channel, the chain B^T d, G g, their product lane by lane, and A^T M
 * against the correlation summed in float64; and backwards, A e and G^T against the filter
 * gradient. The convolution tests check the same through whole passes.
 */
import { describe, expect, it } from 'vitest';
import { instantiateKernels } from '../../src/core/wasm-simd/kernels';
import { quadFilterGradientTaps, transformQuadFilter } from '../../src/core/wasm-simd/winograd-filters';
import { seededValues } from './wasm-simd-helpers';

const LANES = 4;
const TILES = 5;

describe.each([3, 5] as const)('F(4, %i) along one row', (taps) => {
  const planes = taps + 3;
  const columns = 4 * TILES + taps - 1;
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernels = instantiateKernels(memory, false);
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
    kernels[taps === 3 ? 'quadInput3' : 'quadInput5'](d * 4, vectorBytes, ...Array.from({ length: planes }, (_, p) => at(v, p)), TILES);
    transformQuadFilter(heap, g, LANES, u, taps);
    // M_p = V_p U_p, lane by lane (a product over one channel)
    for (let p = 0; p < planes; p++) for (let t = 0; t < TILES; t++) for (let lane = 0; lane < LANES; lane++) {
      heap[m + p * planeFloats + t * LANES + lane] = Math.fround(heap[v + p * planeFloats + t * LANES + lane] * heap[u + p * LANES + lane]);
    }
    kernels[taps === 3 ? 'quadOutput3' : 'quadOutput5'](...Array.from({ length: planes }, (_, p) => at(m, p)), vectorBytes, y * 4, 4 * vectorBytes, TILES);
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
    quadFilterGradientTaps(heap, sums, LANES, dw, taps);
    for (let k = 0; k < taps; k++) for (let lane = 0; lane < LANES; lane++) {
      let exact = 0;
      for (let column = 0; column < 4 * TILES; column++) exact += heap[e + column * LANES + lane] * heap[d + (column + k) * LANES + lane];
      close(heap[dw + k * LANES + lane], exact, 4 * TILES);
    }
  });
});
