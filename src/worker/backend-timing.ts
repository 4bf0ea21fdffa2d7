/**
 * The worker's side of the measured backend choice: starts the candidates (backend.ts,
 * with their kernel fixes), builds the run's model on each through the handler, keeps the
 * verdicts in IndexedDB, and tells the page what was measured. The decisions are
 * backend-probe's.
 */
import * as tf from '@tensorflow/tfjs';
import { startBackend } from './backend';
import { chooseBackend, probeCandidates, probeKey, sessionTrial, timedInfo, type BackendRun, type VerdictCache } from './backend-probe';
import type { BackendInfo } from './protocol';

interface TimerDeps {
  onDeviceLost(reason: string): void;
  cache: VerdictCache;
  yieldToEvents(): Promise<void>;
  /** Test hook: time a software GPU as if it were a real one. */
  allowSoftware?(): boolean;
}

/**
 * Our WASM kernels' generation: a verdict timed with an earlier one is not reused. Raised
 * when their speed changes enough to turn a verdict (2: products on as many threads as
 * TF.js has, 2026-12-04, where a 4-core machine's WASM step took about 0.5-0.95x its time;
 * 3: two threads of ours where TF.js takes one, on two or three logical cores, 2026-12-05).
 */
const WASM_KERNELS = 3;

/** What the verdict is kept for: the adapter, the browser (its version changes the speeds), the threads WebAssembly gets and our kernels' generation. */
function deviceOf(selected: BackendInfo): string {
  const threads = self.crossOriginIsolated ? navigator.hardwareConcurrency : 1;
  return `${selected.adapter} | ${navigator.userAgent} | ${threads} threads | our WASM kernels ${WASM_KERNELS}`;
}

export function createBackendTimer(deps: TimerDeps) {
  return async (selected: BackendInfo, run: BackendRun): Promise<BackendInfo> => {
    const allowSoftware = deps.allowSoftware?.() ?? false;
    const candidates = probeCandidates(selected, run.config.backend, run.exclude, allowSoftware);
    if (candidates.length < 2) {
      // an earlier run may have left another candidate current; the selected one was accepted already, software or not
      if (tf.getBackend() !== selected.name) await startBackend(selected.name, deps.onDeviceLost, true);
      return selected;
    }
    const adapters = new Map<string, { adapter: string; isFallbackAdapter: boolean }>();
    const verdict = await chooseBackend(candidates, probeKey(deviceOf(selected), candidates, run.config, run.spec), {
      start: async (name) => {
        adapters.set(name, await startBackend(name as BackendInfo['name'], deps.onDeviceLost, allowSoftware));
      },
      build: async () => sessionTrial(await run.build()),
      now: () => performance.now(),
      date: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      cache: deps.cache,
      yieldToEvents: deps.yieldToEvents,
      onTiming: run.onTiming,
    });
    if (!verdict.name && tf.getBackend() !== selected.name) await startBackend(selected.name, deps.onDeviceLost, true);
    return timedInfo(selected, verdict, verdict.name ? adapters.get(verdict.name) : undefined);
  };
}
