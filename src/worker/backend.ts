/**
 * Picks the TF.js backend inside the worker: WebGPU, then WebGL, WASM, CPU. With "auto" on
 * a hardware GPU, backend-timing then times the run's model there and on WASM, switching
 * between them with startBackend.
 * Facts that shape it (tfjs 4.22): a failed WebGPU start makes setBackend resolve false
 * rather than throw; WebGL in a worker needs OffscreenCanvas and WebGL2; WASM threads need
 * cross-origin isolation and the .wasm files' bundled URLs.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice } from '../core/config';
import type { BackendInfo } from './protocol';
import { startWasmKernelThreads } from './kernel-threads';
import { fixResizeNearestGradient, registerMeanGradient, registerWasmGradientKernels, speedUpCpuFilterGradient } from '../core/kernel-fixes';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

type BackendName = BackendInfo['name'];

/** A backend that has not started after this long is passed over: its start is stuck (a WASM thread that cannot load, a driver that never answers). */
const START_TIMEOUT_MS = 30_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`it did not start within ${ms / 1000} s`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
const ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

interface Attempt {
  ok: boolean;
  reason?: string;
  adapter?: string;
  isFallbackAdapter?: boolean;
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

function describeAdapter(adapter: GpuAdapterLike): string {
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.device, info.description].filter((part) => part).join(' ') || 'unnamed adapter';
}

/** Renderer strings of software rasterizers, which run "GPU" code on the CPU. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render/i;

const watched = new WeakSet<object>();

async function tryWebGpu(onDeviceLost: (reason: string) => void, allowSoftware: boolean): Promise<Attempt> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) return { ok: false, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
  const adapter = await gpu.requestAdapter();
  if (!adapter) return { ok: false, reason: 'no WebGPU adapter was offered' };
  const isFallbackAdapter = Boolean(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter);
  // A software adapter (SwiftShader) is many times slower than the WASM backend.
  if (isFallbackAdapter && !allowSoftware) {
    return { ok: false, reason: `only a software adapter (${describeAdapter(adapter)}); WebAssembly is faster` };
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) return { ok: false, reason: 'the WebGPU backend failed to start' };
  // tfjs-backend-webgpu does not watch for a lost device itself. Watched once: a switch back to it (after timing) starts it again.
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ message?: string; reason?: string }> } }).device;
  if (device && !watched.has(device)) {
    watched.add(device);
    device.lost?.then((info) => onDeviceLost(info?.message || info?.reason || 'unknown reason'));
  }
  return { ok: true, adapter: describeAdapter(adapter), isFallbackAdapter };
}

async function tryWebGl(allowSoftware: boolean): Promise<Attempt> {
  if (typeof OffscreenCanvas === 'undefined') return { ok: false, reason: 'no OffscreenCanvas in this worker' };
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  if (!gl) return { ok: false, reason: 'no WebGL2 context in this worker' };
  const debugInfo = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(debugInfo ? debugInfo.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  const isSoftware = SOFTWARE_RENDERER.test(renderer);
  if (isSoftware && !allowSoftware) return { ok: false, reason: `only a software renderer (${renderer}); WebAssembly is faster` };
  if (!(await tf.setBackend('webgl'))) return { ok: false, reason: 'the WebGL backend failed to start' };
  return { ok: true, adapter: renderer, isFallbackAdapter: isSoftware };
}

async function tryWasm(): Promise<Attempt> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
  });
  if (!(await tf.setBackend('wasm'))) return { ok: false, reason: 'the WASM backend failed to start' };
  registerWasmGradientKernels();
  await startWasmKernelThreads();
  return { ok: true };
}

async function tryCpu(): Promise<Attempt> {
  if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'the CPU backend failed to start' };
  fixResizeNearestGradient('cpu');
  speedUpCpuFilterGradient();
  return { ok: true };
}

function attempt(name: BackendName, onDeviceLost: (reason: string) => void, allowSoftware: boolean): Promise<Attempt> {
  // gradients are every backend's: the same on each
  registerMeanGradient();
  const work = name === 'webgpu' ? tryWebGpu(onDeviceLost, allowSoftware) : name === 'webgl' ? tryWebGl(allowSoftware) : name === 'wasm' ? tryWasm() : tryCpu();
  return withTimeout(work, START_TIMEOUT_MS);
}

/** Makes `name` the current backend, with its kernel fixes (a switch back to a started one is quick); throws, with the reason, if it cannot start. */
export async function startBackend(name: BackendName, onDeviceLost: (reason: string) => void, allowSoftware = false): Promise<{ adapter: string; isFallbackAdapter: boolean }> {
  const result = await attempt(name, onDeviceLost, allowSoftware);
  if (!result.ok) throw new Error(result.reason ?? 'it did not start');
  return { adapter: result.adapter ?? '', isFallbackAdapter: result.isFallbackAdapter ?? false };
}

export async function selectBrowserBackend(
  choice: BackendChoice,
  exclude: readonly string[],
  onDeviceLost: (reason: string) => void,
  /** Test hook: "auto" takes a software GPU too. */
  allowSoftwareGpu = false,
): Promise<BackendInfo> {
  // A forced backend is tried first; if it cannot start, the usual order follows.
  const order = choice === 'auto' ? ORDER : [choice, ...ORDER.filter((name) => name !== choice)];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    if (exclude.includes(name)) {
      skipped.push({ name, reason: 'it failed earlier in this session' });
      continue;
    }
    // "auto" passes over software GPUs; a backend asked for by name is used even then.
    const allowSoftware = name === choice || allowSoftwareGpu;
    let result: Attempt;
    try {
      result = await attempt(name, onDeviceLost, allowSoftware);
    } catch (error) {
      result = { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
    if (result.ok) {
      return { name, adapter: result.adapter ?? '', isFallbackAdapter: result.isFallbackAdapter ?? false, skipped };
    }
    skipped.push({ name, reason: result.reason ?? 'unknown' });
  }
  throw new Error(`No TF.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
