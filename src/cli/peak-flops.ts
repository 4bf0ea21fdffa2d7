/**
 * How fast this machine can multiply matrices, for the benchmark's header: the rate a model's
 * step reaches (GFLOP/s) means little without the rate the hardware allows.
 *
 * - WebAssembly: our matrix product (src/core/wasm-simd/kernels.ts) on matrices that stay in
 *   cache, with and without relaxed SIMD's fused multiply-add. WASM SIMD is 128 bits wide
 *   (4 floats), whatever the processor, so this is the ceiling of every WASM convolution.
 * - PyTorch: a convolution like PixelCNN's (batch 32, 28 x 28, 32 -> 32 channels, 5 x 5) on
 *   the CPU at the same thread count, through oneDNN, which uses the processor's own widest
 *   vectors (AVX2: 8 floats, AVX-512: 16). (Debian's PyTorch multiplies plain matrices with
 *   a generic BLAS, at 4-6 GFLOP/s here: torch.mm is no measure of the machine.)
 * Their ratio is about the least a compute-bound model's WASM step can take over PyTorch's.
 */
import { spawnSync } from 'node:child_process';
import { hasRelaxedSimd, instantiateKernels } from '../core/wasm-simd/kernels';

/** [rows, depth, columns]: 256 kB of A, a cache-resident block like a convolution's chunk. */
const SHAPE = [256, 256, 64] as const;

/** GFLOP/s of our WASM matrix product after it has warmed up (V8 compiles hot WASM a second time, optimised). */
export function wasmPeak(fused: boolean): number {
  const [m, k, n] = SHAPE;
  const memory = new WebAssembly.Memory({ initial: 16 }); // 1 MiB
  const kernels = instantiateKernels(memory, fused);
  const floats = new Float32Array(memory.buffer);
  const [a, b, c] = [64, 64 + m * k * 4, 64 + (m * k + k * n) * 4];
  for (let i = 0; i < m * k + k * n; i++) floats[16 + i] = Math.sin(i);
  const run = () => kernels.gemm(a, k * 4, 4, b, n * 4, c, n * 4, m, n, k, 0);
  const timeFor = (ms: number) => {
    let calls = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      run();
      calls += 1;
    }
    return (performance.now() - start) / calls;
  };
  timeFor(300);
  // the best of a few: the machine's ceiling, not its load
  const ms = Math.min(timeFor(150), timeFor(150), timeFor(150));
  return (2 * m * k * n) / ms / 1e6;
}

/** Both WASM variants this engine can run: fused only with relaxed SIMD. */
export function wasmPeaks(): { fused?: number; plain: number } {
  return { plain: wasmPeak(false), ...(hasRelaxedSimd() ? { fused: wasmPeak(true) } : {}) };
}

/** GFLOP/s of PyTorch's convolution (see above) on `threads` threads, or undefined without a working torch; `env` adds to its environment (./pytorch-isa.ts). */
export function pytorchPeak(python: string, threads: number, env: Record<string, string> = {}): number | undefined {
  const script = [
    'import time, torch',
    `torch.set_num_threads(${threads})`,
    'x, w = torch.randn(32, 32, 28, 28), torch.randn(32, 32, 5, 5)',
    'for _ in range(3): torch.nn.functional.conv2d(x, w, padding=2)',
    'times = []',
    'for _ in range(10):',
    '    start = time.perf_counter(); torch.nn.functional.conv2d(x, w, padding=2); times.append(time.perf_counter() - start)',
    'print(2 * 32 * 28 * 28 * 32 * 32 * 25 / min(times) / 1e9)',
  ].join('\n');
  const run = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env, OMP_NUM_THREADS: String(threads) } });
  const value = Number(run.stdout?.trim());
  return run.status === 0 && Number.isFinite(value) ? value : undefined;
}
