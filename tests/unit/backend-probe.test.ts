/**
 * The measured backend choice: with fake candidates on a fake clock, it picks the fastest,
 * recalls a kept verdict without timing, ignores a damaged one, and skips (with a reason) a
 * candidate that cannot start, fails, or is too slow; the key, the candidates, what the
 * page is told; a real session's trial leaks nothing; the IndexedDB store keeps verdicts.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { loadNodeImages } from '../../src/cli/node-datasets';
import { defaultConfig, type RunConfig } from '../../src/core/config';
import { findModel } from '../../src/core/models';
import type { ModelSpec } from '../../src/core/models/model';
import { timingSentence } from '../../src/app/backend-words';
import { chooseBackend, DEFAULT_LIMITS, probeCandidates, RunRefused, probeKey, sessionTrial, timedInfo, type BackendRun, type ProbeDeps, type StoredVerdict, type VerdictCache } from '../../src/worker/backend-probe';
import { createTrainingHandler } from '../../src/worker/handler';
import type { BackendInfo, FromWorker } from '../../src/worker/protocol';
import { browserVerdictCache } from '../../src/worker/verdict-store';
import { sessionFor } from './helpers';

const NOW = Date.UTC(2026, 10, 30, 9);
const DAY = 24 * 3600_000;

/** How a fake candidate behaves: ms per step (and for its first step), or a way to fail. */
interface Behaviour {
  ms?: number;
  warmupMs?: number;
  fail?: 'start' | 'build' | 'hang' | 'step';
}

function fakes(behaviours: Record<string, Behaviour>, cache?: VerdictCache) {
  let clock = 0;
  let current: string | undefined;
  const log: string[] = [];
  const stepsOn: Record<string, number> = {};
  let open = 0;
  const deps: ProbeDeps = {
    start: async (name) => {
      if (behaviours[name].fail === 'start') throw new Error(`${name} is not in this browser`);
      current = name;
    },
    build: async () => {
      const name = current!;
      const behaviour = behaviours[name];
      log.push(`build ${name}`);
      if (behaviour.fail === 'build') throw new Error('no kernel for Conv2D');
      open += 1;
      let first = true;
      return {
        steps: async (n) => {
          if (behaviour.fail === 'hang') return new Promise<void>(() => {});
          if (behaviour.fail === 'step' && !first) throw new Error('lost the context');
          clock += first ? (behaviour.warmupMs ?? behaviour.ms!) : n * behaviour.ms!;
          if (!first) stepsOn[name] = (stepsOn[name] ?? 0) + n;
          first = false;
        },
        dispose: () => {
          open -= 1;
        },
      };
    },
    now: () => clock,
    date: () => NOW,
    // a macrotask: any step that has not hung settles before it
    sleep: () => new Promise((resolve) => setTimeout(resolve, 0)),
    ...(cache ? { cache } : {}),
  };
  return { deps, log, stepsOn, current: () => current, open: () => open };
}

function memoryCache(entries: Record<string, unknown> = {}) {
  const store = new Map<string, unknown>(Object.entries(entries));
  const cache: VerdictCache = {
    get: async (key) => store.get(key),
    put: async (key, verdict) => {
      store.set(key, verdict);
    },
  };
  return { cache, store };
}

const KEY = 'device|model';
const GPU_AND_WASM = ['webgpu', 'wasm'];

describe('choosing a backend by timing the model', () => {
  it('times each candidate and picks the fastest, leaves it current, frees every trial and keeps the verdict', async () => {
    const { cache, store } = memoryCache();
    const f = fakes({ webgpu: { ms: 12, warmupMs: 900 }, wasm: { ms: 4 } }, cache);
    const verdict = await chooseBackend(GPU_AND_WASM, KEY, f.deps);
    expect(verdict).toEqual({ name: 'wasm', source: 'measured', measured: [{ name: 'webgpu', msPerStep: 12 }, { name: 'wasm', msPerStep: 4 }], skipped: [], at: NOW });
    expect(f.current()).toBe('wasm');
    expect(f.open()).toBe(0);
    expect(store.get(KEY)).toEqual({ version: 1, name: 'wasm', measured: verdict.measured, at: NOW });
    // the warm-up (shader compilation) is not counted
    expect(f.stepsOn.webgpu).toBe(DEFAULT_LIMITS.maxSteps);
  });

  it('picks the GPU when it is faster, and the earlier candidate on a tie', async () => {
    expect((await chooseBackend(GPU_AND_WASM, KEY, fakes({ webgpu: { ms: 3 }, wasm: { ms: 20 } }).deps)).name).toBe('webgpu');
    expect((await chooseBackend(GPU_AND_WASM, KEY, fakes({ webgpu: { ms: 5 }, wasm: { ms: 5 } }).deps)).name).toBe('webgpu');
  });

  it('stops timing a candidate once its budget is spent, or once it is clearly slower than the best so far', async () => {
    const slow = fakes({ webgpu: { ms: 1000 }, wasm: { ms: 1200 } });
    const limits = { ...DEFAULT_LIMITS, budgetMs: 1500 };
    await chooseBackend(GPU_AND_WASM, KEY, slow.deps, limits);
    expect(slow.stepsOn.webgpu).toBe(2); // 1 s, then 1 more step fits the 0.5 s left (rounded up to one): 2 s
    const hopeless = fakes({ webgpu: { ms: 2 }, wasm: { ms: 50 } });
    const verdict = await chooseBackend(GPU_AND_WASM, KEY, hopeless.deps);
    expect(hopeless.stepsOn.wasm).toBe(1);
    expect(verdict.measured).toEqual([{ name: 'webgpu', msPerStep: 2 }, { name: 'wasm', msPerStep: 50 }]);
    // a first step alone past the budget and far behind the best: no timed steps, its first step's time stands in
    const glacial = fakes({ webgpu: { ms: 20, warmupMs: 12_000 }, wasm: { ms: 3000 } });
    expect((await chooseBackend(GPU_AND_WASM, KEY, glacial.deps)).measured).toEqual([{ name: 'webgpu', msPerStep: 20 }, { name: 'wasm', msPerStep: 3000 }]);
    expect(glacial.stepsOn.wasm).toBeUndefined();
    // but a slow first step (shaders compiling) is no reason to stop timing a GPU that goes on fast
    expect(glacial.stepsOn.webgpu).toBe(DEFAULT_LIMITS.maxSteps);
  });

  it('uses a kept verdict without building anything', async () => {
    const kept: StoredVerdict = { version: 1, name: 'webgpu', measured: [{ name: 'webgpu', msPerStep: 3 }, { name: 'wasm', msPerStep: 9 }], at: NOW - DAY };
    const f = fakes({ webgpu: { ms: 30 }, wasm: { ms: 1 } }, memoryCache({ [KEY]: kept }).cache);
    const verdict = await chooseBackend(GPU_AND_WASM, KEY, f.deps);
    expect(verdict).toEqual({ name: 'webgpu', source: 'cache', measured: kept.measured, skipped: [], at: NOW - DAY });
    expect(f.log).toEqual([]);
    expect(f.current()).toBe('webgpu');
  });

  const sound: StoredVerdict = { version: 1, name: 'webgpu', measured: [{ name: 'webgpu', msPerStep: 3 }, { name: 'wasm', msPerStep: 9 }], at: NOW - DAY };
  it.each([
    ['a string', 'webgpu'],
    ['null', null],
    ['another version', { ...sound, version: 2 }],
    ['a backend that is not a candidate', { ...sound, name: 'webgl' }],
    ['a winner it never timed', { ...sound, measured: [{ name: 'wasm', msPerStep: 9 }] }],
    ['a time that is not a number', { ...sound, measured: [{ name: 'webgpu', msPerStep: 'fast' }] }],
    ['a negative time', { ...sound, measured: [{ name: 'webgpu', msPerStep: -1 }] }],
    ['measurements that are not a list', { ...sound, measured: { webgpu: 3 } }],
    ['a date in the future', { ...sound, at: NOW + DAY }],
    ['a verdict older than a month', { ...sound, at: NOW - 31 * DAY }],
  ])('ignores a kept entry with %s, times again and replaces it', async (_, entry) => {
    const { cache, store } = memoryCache({ [KEY]: entry });
    const f = fakes({ webgpu: { ms: 8 }, wasm: { ms: 4 } }, cache);
    const verdict = await chooseBackend(GPU_AND_WASM, KEY, f.deps);
    expect(verdict.source).toBe('measured');
    expect(verdict.name).toBe('wasm');
    expect((store.get(KEY) as StoredVerdict).name).toBe('wasm');
  });

  it('times anyway when the store cannot be read, hangs, or cannot be written', async () => {
    const broken: VerdictCache = { get: () => Promise.reject(new Error('QuotaExceededError')), put: () => Promise.reject(new Error('read-only')) };
    const hanging: VerdictCache = { get: () => new Promise(() => {}), put: () => new Promise(() => {}) };
    for (const cache of [broken, hanging]) {
      const verdict = await chooseBackend(GPU_AND_WASM, KEY, fakes({ webgpu: { ms: 2 }, wasm: { ms: 4 } }, cache).deps);
      expect(verdict).toMatchObject({ name: 'webgpu', source: 'measured', skipped: [] });
    }
  });

  it('a kept winner that no longer starts is skipped with its reason; the rest are compared', async () => {
    const kept: StoredVerdict = { ...sound, name: 'wasm' };
    const f = fakes({ webgpu: { ms: 8 }, wasm: { fail: 'start' } }, memoryCache({ [KEY]: kept }).cache);
    const verdict = await chooseBackend(GPU_AND_WASM, KEY, f.deps);
    expect(verdict).toMatchObject({ name: 'webgpu', source: 'only', measured: [], skipped: [{ name: 'wasm', reason: 'wasm is not in this browser' }] });
    expect(f.log).toEqual([]);
  });

  it('with one candidate that starts there is nothing to time: it is taken, and nothing is kept', async () => {
    const { cache, store } = memoryCache();
    const f = fakes({ webgpu: { ms: 8 }, wasm: { fail: 'start' } }, cache);
    const verdict = await chooseBackend(GPU_AND_WASM, KEY, f.deps);
    expect(verdict).toEqual({ name: 'webgpu', source: 'only', measured: [], skipped: [{ name: 'wasm', reason: 'wasm is not in this browser' }] });
    expect(f.current()).toBe('webgpu');
    expect(f.log).toEqual([]);
    expect(store.size).toBe(0);
  });

  it.each([
    ['fails to build the model', { fail: 'build' }, 'the model failed there (no kernel for Conv2D)'],
    ['fails in a step', { fail: 'step', ms: 5 }, 'the model failed there (lost the context)'],
    ['never finishes its first step', { fail: 'hang' }, 'its first step took over 20 s'],
    ['takes too long over its first step', { ms: 5, warmupMs: 21_000 }, 'its first step took over 20 s'],
  ] as const)('a candidate that %s is skipped with the reason, freed, and not kept as a verdict', async (_, behaviour, reason) => {
    const { cache, store } = memoryCache();
    const f = fakes({ webgpu: behaviour, wasm: { ms: 40 } }, cache);
    const verdict = await chooseBackend(GPU_AND_WASM, KEY, f.deps);
    expect(verdict).toEqual({ name: 'wasm', source: 'measured', measured: [{ name: 'wasm', msPerStep: 40 }], skipped: [{ name: 'webgpu', reason }], at: NOW });
    expect(f.current()).toBe('wasm');
    expect(f.open()).toBe(0);
    expect(store.size).toBe(0);
  });

  it('a run refused as too large ends the timing with that error', async () => {
    const f = fakes({ webgpu: { ms: 2 }, wasm: { ms: 4 } });
    f.deps.build = async () => {
      throw new RunRefused('This autoencoder would need about 3.0 GB');
    };
    await expect(chooseBackend(GPU_AND_WASM, KEY, f.deps)).rejects.toThrow('would need about 3.0 GB');
  });

  it('when every candidate fails there is no verdict (the caller keeps its choice)', async () => {
    const verdict = await chooseBackend(GPU_AND_WASM, KEY, fakes({ webgpu: { fail: 'build' }, wasm: { fail: 'build' } }).deps);
    expect(verdict.name).toBeUndefined();
    expect(verdict.skipped.map((entry) => entry.name)).toEqual(['webgpu', 'wasm']);
  });
});

describe('when to time, under which key, and what the page is told', () => {
  const gpu: BackendInfo = { name: 'webgpu', adapter: 'intel gen-12lp', isFallbackAdapter: false, skipped: [] };

  it('times only an automatic choice of a hardware GPU, against WebAssembly, leaving out broken backends', () => {
    expect(probeCandidates(gpu, 'auto', [])).toEqual(['webgpu', 'wasm']);
    expect(probeCandidates({ ...gpu, name: 'webgl' }, 'auto', [])).toEqual(['webgl', 'wasm']);
    expect(probeCandidates(gpu, 'auto', ['wasm'])).toEqual(['webgpu']);
    expect(probeCandidates({ ...gpu, isFallbackAdapter: true }, 'auto', [])).toEqual([]);
    expect(probeCandidates(gpu, 'webgpu', [])).toEqual([]);
    expect(probeCandidates({ ...gpu, name: 'wasm', adapter: '' }, 'auto', [])).toEqual([]);
  });

  function config(values: Record<string, unknown> = {}, model = 'rbm', dataset = 'mnist'): RunConfig {
    const base = defaultConfig(model, dataset);
    Object.assign(base.values, values);
    return base;
  }
  const key = (run: RunConfig, device = 'gpu A', candidates = GPU_AND_WASM) => probeKey(device, candidates, run, findModel(run.model)!);

  it('the key changes with the device, the candidates, the model, the dataset, the batch and the layer sizes', () => {
    const base = key(config());
    for (const other of [
      key(config(), 'gpu B'),
      key(config(), 'gpu A', ['webgl', 'wasm']),
      key(config({ batch: 32 })),
      key(config({ hidden_units: 17 })),
      key(config({ k: 5 })),
      key(config({}, 'rbm', 'fashion-mnist')),
      key(config({}, 'ae', 'mnist')),
    ]) {
      expect(other).not.toBe(base);
    }
  });

  it('but not with the seed, the learning rate, or settings applied live (view settings among them)', () => {
    const base = key(config());
    expect(key(config({ seed: 99, lr: 0.01, weight_decay: 0.001, sample_steps: 7 }))).toBe(base);
    // a default written out is the same setting
    expect(key(config({ hidden_units: findModel('rbm')!.params.find((param) => param.key === 'hidden_units')!.default }))).toBe(base);
  });

  it("the page hears the winner's adapter, the timings and what was given up", () => {
    const selected: BackendInfo = { ...gpu, skipped: [] };
    const measured = [{ name: 'webgpu', msPerStep: 12 }, { name: 'wasm', msPerStep: 4 }];
    expect(timedInfo(selected, { name: 'wasm', source: 'measured', measured, skipped: [], at: NOW }, { adapter: '', isFallbackAdapter: false })).toEqual({
      name: 'wasm',
      adapter: '',
      isFallbackAdapter: false,
      skipped: [],
      timing: { source: 'measured', at: NOW, measured },
    });
    expect(timedInfo(selected, { name: 'webgpu', source: 'cache', measured, skipped: [], at: NOW - DAY })).toMatchObject({ name: 'webgpu', adapter: 'intel gen-12lp', timing: { source: 'cache' } });
    const lone = timedInfo(selected, { name: 'webgpu', source: 'only', measured: [], skipped: [{ name: 'wasm', reason: 'no threads' }] });
    expect(lone).toEqual({ ...selected, skipped: [{ name: 'wasm', reason: 'no threads' }] });
    expect(timedInfo(selected, { source: 'measured', measured: [], skipped: [{ name: 'webgpu', reason: 'r' }] }).name).toBe('webgpu');
  });

  it('says in a sentence how the choice was made, fastest first', () => {
    const measured = [{ name: 'webgpu', msPerStep: 12.4 }, { name: 'wasm', msPerStep: 4.26 }];
    expect(timingSentence({ source: 'measured', at: NOW, measured })).toBe('Picked by timing this model on each backend: WebAssembly 4.3 ms a step, WebGPU 12 ms a step.');
    expect(timingSentence({ source: 'cache', at: NOW, measured })).toBe(
      'Picked by timing this model on this device on 30 Nov 2026 (remembered, so not timed again): WebAssembly 4.3 ms a step, WebGPU 12 ms a step.',
    );
    expect(timingSentence({ source: 'measured', at: NOW, measured: [measured[1]] })).toBe('Picked by timing this model on each backend that could run it: WebAssembly 4.3 ms a step.');
    expect(timingSentence(undefined)).toBeUndefined();
  });
});

describe('the real pieces', () => {
  beforeAll(async () => {
    await useNodeBackend('cpu');
  });

  it("a trial steps the run's own session, reads its results back, and leaves no tensor behind", async () => {
    const run = defaultConfig('ae', 'ring');
    Object.assign(run.values, { hidden: [8], bottleneck: 2, batch: 8 });
    const before = tf.memory().numTensors;
    const session = await sessionFor(run);
    const trial = sessionTrial(session);
    await trial.steps(1);
    await trial.steps(3);
    expect(session.step).toBe(4);
    expect(session.inFlight).toBe(0);
    trial.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the IndexedDB store keeps a verdict per key across openings', async () => {
    const verdict: StoredVerdict = { version: 1, name: 'wasm', measured: [{ name: 'wasm', msPerStep: 2 }], at: NOW };
    await browserVerdictCache('probe-test').put('a', verdict);
    const reopened = browserVerdictCache('probe-test');
    expect(await reopened.get('a')).toEqual(verdict);
    expect(await reopened.get('b')).toBeUndefined();
  });
});

describe('the training handler with a backend timer', () => {
  beforeAll(async () => {
    await useNodeBackend('cpu');
  });

  const CPU: BackendInfo = { name: 'cpu', adapter: '', isFallbackAdapter: false, skipped: [] };

  function handlerWith(measureBackend: (selected: BackendInfo, run: BackendRun) => Promise<BackendInfo>, models: ModelSpec[] = []) {
    const messages: FromWorker[] = [];
    const handle = createTrainingHandler({
      post: (message) => messages.push(message),
      selectBackend: async () => CPU,
      measureBackend,
      loadDataset: async (spec) => loadNodeImages(spec),
      now: () => performance.now(),
      yieldToEvents: () => new Promise((resolve) => setTimeout(resolve, 0)),
      findModel: (id) => models.find((model) => model.id === id) ?? findModel(id),
    });
    return { messages, handle };
  }

  function tiny(): RunConfig {
    const run = defaultConfig('ae', 'ring');
    Object.assign(run.values, { hidden: [8], bottleneck: 2, batch: 8 });
    return run;
  }

  it("builds throwaway sessions of the run to time, says so, reports the verdict, then builds the run's own", async () => {
    const timing = { source: 'measured' as const, at: NOW, measured: [{ name: 'cpu', msPerStep: 2 }] };
    const seen: RunConfig[] = [];
    const { messages, handle } = handlerWith(async (selected, run) => {
      seen.push(run.config);
      run.onTiming();
      const trial = sessionTrial(await run.build());
      await trial.steps(2);
      trial.dispose();
      return { ...selected, timing };
    });
    const before = tf.memory().numTensors;
    await handle({ type: 'reset', runId: 1, config: tiny() });
    expect(seen.map((run) => run.model)).toEqual(['ae']);
    const steps = messages.map((message) => (message.type === 'status' ? message.message : message.type === 'backend' ? message.backend : message.type));
    expect(steps.slice(0, 5)).toEqual(['Starting the compute backend…', CPU, 'Timing this model on each backend to pick the fastest…', { ...CPU, timing }, 'Building the model…']);
    // the run's own session starts at step 0: the timing's steps were on sessions of their own
    expect(messages.find((message) => message.type === 'status' && message.state === 'paused')).toMatchObject({ step: 0 });
    await handle({ type: 'reset', runId: 2, config: { ...tiny(), dataset: 'no-such-dataset' } });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a run too large for a tab is refused while timing, with the same message as without timing', async () => {
    const ae = findModel('ae')!;
    // the autoencoder, claiming 4 GB a step
    const huge: ModelSpec = {
      ...ae,
      id: 'huge-ae',
      load: async () => {
        const factory = await ae.load();
        return { ...factory, create: (...args: Parameters<typeof factory.create>) => Object.assign(factory.create(...args), { memoryEstimate: () => 4 * 2 ** 30 }) };
      },
    };
    const { messages, handle } = handlerWith(async (selected, run) => {
      const trial = sessionTrial(await run.build());
      trial.dispose();
      return selected;
    }, [huge]);
    const before = tf.memory().numTensors;
    await handle({ type: 'reset', runId: 1, config: { ...tiny(), model: 'huge-ae' } });
    const errors = messages.filter((message) => message.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ message: expect.stringMatching(/^This autoencoder would need about 4\.0 GB of memory for a training step/) });
    expect(messages.at(-1)).toMatchObject({ type: 'status', state: 'error' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a timer that keeps the selected backend adds no message', async () => {
    const { messages, handle } = handlerWith(async (selected) => selected);
    await handle({ type: 'reset', runId: 1, config: tiny() });
    expect(messages.filter((message) => message.type === 'backend')).toHaveLength(1);
    expect(messages.some((message) => message.type === 'status' && message.message?.startsWith('Timing'))).toBe(false);
    await handle({ type: 'reset', runId: 2, config: { ...tiny(), dataset: 'no-such-dataset' } });
  });
});
