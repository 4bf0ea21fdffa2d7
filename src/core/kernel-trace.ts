/**
 * Where a training step's time goes, kernel by kernel, and how much arithmetic it does.
 *
 * traceKernels wraps every kernel registered for the current backend so that each call is
 * timed and counted, then puts the originals back. A kernel may run other kernels (our
 * replacements in ./kernel-fixes.ts are built from ops), so each call's own time excludes
 * the kernels it ran; its FLOPs (./kernel-flops.ts) count only at the outermost level, so a
 * filter gradient counts as the arithmetic it stands for however it is computed. Times are
 * wall times around a synchronous kernel call: exact on WASM and the CPU backend, which
 * compute as they are called; on WebGL and WebGPU a call only queues work, so there the
 * times say little (FLOPs still hold).
 *
 * The backend's reads (dataSync, data(), what the page's charts need) are counted too: a
 * training step should read nothing back until its losses are asked for.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelFlops } from './kernel-flops';

export interface KernelStats {
  name: string;
  calls: number;
  /** Time inside the kernel, less the kernels it ran. */
  selfMs: number;
  /** FLOPs of its outermost calls. */
  flops: number;
}

export interface KernelTrace {
  kernels: KernelStats[];
  /** Total FLOPs of the outermost kernel calls. */
  flops: number;
  /** Backend reads (synchronous and asynchronous). */
  reads: number;
}

/** A trace of `steps` steps' kernels, each kernel's time, FLOPs and calls per step. */
export function kernelsPerStep(trace: KernelTrace, steps: number): KernelStats[] {
  return trace.kernels.map((k) => ({ ...k, selfMs: k.selfMs / steps, flops: k.flops / steps, calls: k.calls / steps }));
}

/**
 * Runs `work` with every kernel of the current backend traced. The kernels are restored
 * afterwards, also when `work` throws.
 */
export async function traceKernels(work: () => Promise<void> | void, options: { byShape?: boolean } = {}): Promise<KernelTrace> {
  const backendName = tf.getBackend();
  const originals = tf.getKernelsForBackend(backendName);
  const stats = new Map<string, KernelStats>();
  // Time spent in the kernels each open call ran, innermost last.
  const childMs: number[] = [];
  // With byShape, calls with different input shapes are counted apart (which convolution is slow?).
  const keyOf = (name: string, args: { inputs: tf.NamedTensorInfoMap }) =>
    options.byShape ? `${name} ${Object.values(args.inputs).map((input) => (input ? `[${(input as tf.TensorInfo).shape.join(',')}]` : '-')).join(' ')}` : name;
  const record = (name: string) => {
    let entry = stats.get(name);
    if (!entry) stats.set(name, (entry = { name, calls: 0, selfMs: 0, flops: 0 }));
    return entry;
  };
  for (const original of originals) {
    tf.unregisterKernel(original.kernelName, backendName);
    tf.registerKernel({
      ...original,
      // setupFunc already ran when the backend started; running it again would re-bind WASM functions
      setupFunc: undefined,
      kernelFunc: (args) => {
        const outermost = childMs.length === 0;
        childMs.push(0);
        const start = tf.util.now();
        let output: tf.TensorInfo | tf.TensorInfo[];
        try {
          output = original.kernelFunc(args);
        } finally {
          const elapsed = tf.util.now() - start;
          const children = childMs.pop() ?? 0;
          if (childMs.length) childMs[childMs.length - 1] += elapsed;
          const entry = record(keyOf(original.kernelName, args));
          entry.calls += 1;
          entry.selfMs += elapsed - children;
        }
        if (outermost) {
          const inputShapes = Object.values(args.inputs).map((input) => (input ? (input as tf.TensorInfo).shape : null));
          const outputs = Array.isArray(output) ? output : [output];
          record(keyOf(original.kernelName, args)).flops += kernelFlops({ name: original.kernelName, inputShapes, outputShapes: outputs.map((o) => o.shape), attrs: args.attrs as Record<string, unknown> });
        }
        return output;
      },
    });
  }
  // Reads from outside any kernel: a kernel's own (WASM's GatherV2 reads its indices) move nothing off a GPU.
  const backend = tf.backend() as unknown as Record<'read' | 'readSync', (...args: unknown[]) => unknown>;
  const read = backend.read;
  const readSync = backend.readSync;
  let reads = 0;
  // WASM's read() calls its readSync() (synchronously): one read, counted once
  let reading = false;
  const counted = (original: (...args: unknown[]) => unknown) =>
    function (this: unknown, ...args: unknown[]) {
      if (!reading && childMs.length === 0) reads += 1;
      const wasReading = reading;
      reading = true;
      try {
        return original.apply(this, args);
      } finally {
        reading = wasReading;
      }
    };
  backend.read = counted(read);
  backend.readSync = counted(readSync);
  try {
    await work();
  } finally {
    backend.read = read;
    backend.readSync = readSync;
    for (const original of originals) {
      tf.unregisterKernel(original.kernelName, backendName);
      tf.registerKernel(original);
    }
  }
  const kernels = [...stats.values()].sort((a, b) => b.selfMs - a.selfMs);
  return { kernels, flops: kernels.reduce((sum, k) => sum + k.flops, 0), reads };
}
