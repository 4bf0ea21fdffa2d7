/**
 * PyTorch held to narrower vectors than the processor has, for the benchmark's
 * --pytorch-isa: a stand-in for the laptops most students have, whose processors stop at
 * AVX2 (8 floats a vector), on a machine with AVX-512 (16). WebAssembly's SIMD is 4 floats
 * wide on every processor, so the vector gap, and with it the least ratio a compute-bound
 * step can reach, depends on the processor PyTorch runs on.
 *
 * oneDNN (convolutions) reads ONEDNN_MAX_CPU_ISA (DNNL_MAX_CPU_ISA before v2.5), ATen's own
 * vectorised kernels (element-wise ops, reductions) ATEN_CPU_CAPABILITY. A plain matrix
 * product goes to the BLAS PyTorch was built with, which these do not bind; Debian's
 * generic BLAS uses no wide vectors anyway.
 */
export const PYTORCH_ISAS = ['avx2'] as const;
export type PyTorchIsa = (typeof PYTORCH_ISAS)[number];

/** The environment that holds PyTorch to `isa`; nothing without one. */
export function pytorchIsaEnv(isa: PyTorchIsa | undefined): Record<string, string> {
  if (!isa) return {};
  return { ONEDNN_MAX_CPU_ISA: isa.toUpperCase(), DNNL_MAX_CPU_ISA: isa.toUpperCase(), ATEN_CPU_CAPABILITY: isa };
}
