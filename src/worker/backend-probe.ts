/**
 * Which backend trains this model fastest on this machine, measured rather than guessed.
 *
 * A hardware GPU is not always the fastest: a weak integrated GPU loses to WebAssembly with
 * threads on a small model, a good one wins by far on a large one. So when the automatic
 * choice has a GPU and WebAssembly to choose from, the run's own model is built on each,
 * one warm-up step runs (shaders compile, memory is laid out), then a few timed steps,
 * each read back so the device has really finished them. The fastest wins, and the verdict
 * is kept per device and model, so the next start of the same model picks without timing.
 *
 * This module only decides: starting backends, building the model and the store of
 * verdicts come from the caller (the worker, or fakes in the tests).
 */
import { datasetOf, modelValues, settingGroups, trainingValues, type BackendChoice, type RunConfig } from '../core/config';
import type { ModelSpec } from '../core/models/model';
import type { TrainingSession } from '../core/training/session';
import type { BackendInfo } from './protocol';

/** One candidate's model, built on its backend. */
export interface Trial {
  /** Dispatches n training steps and resolves when their results have been read back. */
  steps(n: number): Promise<void>;
  dispose(): void;
}

/** Where verdicts are kept between page loads; either call may throw or hang. */
export interface VerdictCache {
  get(key: string): Promise<unknown>;
  put(key: string, verdict: StoredVerdict): Promise<void>;
}

export interface StoredVerdict {
  version: 1;
  name: string;
  /** Milliseconds a training step on each candidate that could be timed. */
  measured: { name: string; msPerStep: number }[];
  /** When it was measured (ms since 1970). */
  at: number;
}

export interface ProbeDeps {
  /** Makes `name` the current backend; throws (with the reason as its message) if it cannot start. */
  start(name: string): Promise<void>;
  /** Builds the run's model on the current backend; throws RunRefused if the run cannot be built anywhere. */
  build(): Promise<Trial>;
  now(): number;
  /** Resolves after ms: bounds a warm-up or a store that never answers. */
  sleep(ms: number): Promise<void>;
  /** Wall-clock time, for the age of a kept verdict. */
  date(): number;
  cache?: VerdictCache;
  /** Lets queued messages (the page's heartbeat) in between the timed steps. */
  yieldToEvents?(): Promise<void>;
  /** Called once, just before the timing begins (the page shows that it is timing). */
  onTiming?(): void;
}

export interface ProbeLimits {
  /**
   * A candidate whose first step takes longer is given up. Generous: a GPU's first step
   * compiles its shaders, which can take many seconds on a GPU that then runs fast.
   */
  warmupMs: number;
  /** The timed steps of one candidate stop once they have taken this long. */
  budgetMs: number;
  /** Timed steps at most, per candidate. */
  maxSteps: number;
  /** A kept verdict older than this is measured again (browsers and drivers change). */
  maxAgeMs: number;
  /** How long the store may take to answer before the verdict is measured instead. */
  cacheMs: number;
}

export const DEFAULT_LIMITS: ProbeLimits = { warmupMs: 20_000, budgetMs: 1_500, maxSteps: 9, maxAgeMs: 30 * 24 * 3600_000, cacheMs: 2_000 };

/** Steps dispatched before one readback, as the training loop does (its MAX_IN_FLIGHT): a GPU is timed as it will run. */
const PIPELINE = 4;

/** A candidate this much slower than the best so far stops being timed: it cannot win. */
const HOPELESS = 2;

export interface Verdict {
  /** The backend to train on, now current; undefined when none could be timed (the caller keeps its own choice). */
  name?: string;
  /** 'measured': timed now; 'cache': a verdict kept from an earlier timing; 'only': just one candidate started, nothing to compare. */
  source: 'measured' | 'cache' | 'only';
  measured: { name: string; msPerStep: number }[];
  /** Candidates given up, and why. */
  skipped: { name: string; reason: string }[];
  /** When the verdict was measured (ms since 1970). */
  at?: number;
}

/** Thrown by `build` when the run cannot be built on any backend (it is too large): the timing stops, and this is the run's error. */
export class RunRefused extends Error {}

/** A limit of the probe was reached: its message is the whole reason. */
class TooSlow extends Error {}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Why a candidate was given up, in words for the page. */
const reasonOf = (error: unknown) => (error instanceof TooSlow ? error.message : `the model failed there (${message(error)})`);

/** Rejects with `reason` if `work` has not settled within ms. */
async function within<T>(work: Promise<T>, ms: number, sleep: (ms: number) => Promise<void>, reason: string): Promise<T> {
  const late = Symbol('late');
  const result = await Promise.race([work, sleep(ms).then(() => late)]);
  if (result === late) throw new TooSlow(reason);
  return result as T;
}

/** A kept verdict, if it is well formed, names one of these candidates and is recent; anything else is ignored. */
export function validVerdict(value: unknown, candidates: readonly string[], now: number, maxAgeMs: number): StoredVerdict | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const verdict = value as Partial<StoredVerdict>;
  if (verdict.version !== 1 || typeof verdict.name !== 'string' || !candidates.includes(verdict.name)) return undefined;
  if (typeof verdict.at !== 'number' || !(now - verdict.at < maxAgeMs) || verdict.at > now) return undefined;
  if (!Array.isArray(verdict.measured)) return undefined;
  const wellFormed = verdict.measured.every(
    (entry: unknown) =>
      typeof entry === 'object' && entry !== null && typeof (entry as { name?: unknown }).name === 'string' && Number.isFinite((entry as { msPerStep?: unknown }).msPerStep) && (entry as { msPerStep: number }).msPerStep > 0,
  );
  if (!wellFormed || !verdict.measured.some((entry) => entry.name === verdict.name)) return undefined;
  return verdict as StoredVerdict;
}

/**
 * What a verdict is kept under: the device, the candidates, the model and every setting
 * that changes the size of its layers or of a step (the dataset, the batch, the model's
 * settings but for those applied live, which never change a layer).
 */
export function probeKey(device: string, candidates: readonly string[], config: RunConfig, spec: ModelSpec): string {
  const data = datasetOf(config);
  const values = modelValues(config, spec);
  const sizes = settingGroups(spec, data)
    .model.filter((param) => !param.live && param.group !== 'view')
    .map((param) => [param.key, values[param.key]])
    .sort(([a], [b]) => String(a).localeCompare(String(b)));
  return JSON.stringify({ device, candidates, model: spec.id, dataset: data.id, batch: trainingValues(config).batch, sizes });
}

/** ms per step of one candidate: a warm-up step, then timed steps until the budget, the step count or a hopeless mean. */
async function time(deps: ProbeDeps, limits: ProbeLimits, best: number): Promise<number> {
  const trial = await deps.build();
  try {
    const started = deps.now();
    await within(trial.steps(1), limits.warmupMs, deps.sleep, `its first step took over ${limits.warmupMs / 1000} s`);
    const warmup = deps.now() - started;
    if (warmup > limits.warmupMs) throw new TooSlow(`its first step took over ${limits.warmupMs / 1000} s`);
    // A first step past the budget and far behind the best: it cannot win, and its time stands in (over-long) for its steps'.
    if (warmup > limits.budgetMs && warmup > HOPELESS * best) return warmup;
    let [elapsed, count] = [0, 0];
    while (count < limits.maxSteps) {
      await deps.yieldToEvents?.();
      // one step first, then as many as fit the budget left (one at least), so a slow backend overruns it by one step at most
      const fits = count === 0 ? 1 : Math.max(1, Math.ceil((limits.budgetMs - elapsed) / (elapsed / count)));
      const n = Math.min(PIPELINE, limits.maxSteps - count, fits);
      const before = deps.now();
      await within(trial.steps(n), limits.warmupMs, deps.sleep, `a step took over ${limits.warmupMs / 1000} s`);
      elapsed += deps.now() - before;
      count += n;
      if (elapsed >= limits.budgetMs || elapsed / count > HOPELESS * best) break;
    }
    return elapsed / count;
  } finally {
    trial.dispose();
  }
}

function fastest(measured: Verdict['measured']): string | undefined {
  // ties go to the earlier candidate: the caller lists them in order of preference
  return measured.reduce<Verdict['measured'][number] | undefined>((best, entry) => (!best || entry.msPerStep < best.msPerStep ? entry : best), undefined)?.name;
}

/**
 * Picks the backend for a run among `candidates` (in order of preference), leaving it
 * current: the verdict kept under `key` if there is a sound one, else by timing the model
 * on each candidate that starts. Never throws for a candidate or the store: what fails is
 * skipped, with its reason; only a RunRefused from `build` ends it.
 */
export async function chooseBackend(candidates: readonly string[], key: string, deps: ProbeDeps, limits: ProbeLimits = DEFAULT_LIMITS): Promise<Verdict> {
  const skipped: Verdict['skipped'] = [];
  let kept: StoredVerdict | undefined;
  try {
    if (deps.cache) kept = validVerdict(await within(deps.cache.get(key), limits.cacheMs, deps.sleep, 'the store did not answer'), candidates, deps.date(), limits.maxAgeMs);
  } catch {
    kept = undefined; // an unreadable store: measure instead
  }
  if (kept) {
    try {
      await deps.start(kept.name);
      return { name: kept.name, source: 'cache', measured: kept.measured, skipped, at: kept.at };
    } catch (error) {
      skipped.push({ name: kept.name, reason: message(error) });
      candidates = candidates.filter((name) => name !== kept!.name);
    }
  }

  const started: string[] = [];
  for (const name of candidates) {
    try {
      await deps.start(name);
      started.push(name);
    } catch (error) {
      skipped.push({ name, reason: message(error) });
    }
  }
  if (started.length < 2) {
    if (started.length === 1) await deps.start(started[0]);
    return { ...(started[0] ? { name: started[0] } : {}), source: 'only', measured: [], skipped };
  }

  deps.onTiming?.();
  const measured: Verdict['measured'] = [];
  for (const name of started) {
    try {
      await deps.start(name);
      const best = Math.min(Infinity, ...measured.map((entry) => entry.msPerStep));
      measured.push({ name, msPerStep: await time(deps, limits, best) });
    } catch (error) {
      if (error instanceof RunRefused) throw error;
      skipped.push({ name, reason: reasonOf(error) });
    }
  }
  const name = fastest(measured) ?? started[0];
  await deps.start(name);
  const at = deps.date();
  // Only a comparison is worth keeping: a candidate that failed this time may work next time.
  if (measured.length >= 2 && deps.cache) {
    try {
      await within(deps.cache.put(key, { version: 1, name, measured, at }), limits.cacheMs, deps.sleep, 'the store did not answer');
    } catch {
      // not kept: the next start measures again
    }
  }
  return { ...(measured.length > 0 ? { name } : {}), source: 'measured', measured, skipped, at };
}

/** The run whose backend is being chosen, as the handler hands it over. */
export interface BackendRun {
  config: RunConfig;
  spec: ModelSpec;
  /** Backends known to be broken in this worker. */
  exclude: readonly string[];
  /** A throwaway session of the run on the current backend (the handler's createSession); throws RunRefused if the run is too large. */
  build(): Promise<TrainingSession>;
  onTiming(): void;
}

/**
 * Which backends the run's model is timed on: a hardware GPU picked automatically, against
 * WebAssembly; none otherwise (a software GPU is slower than WebAssembly, except in the test
 * that times one with `timeSoftware`).
 */
export function probeCandidates(selected: BackendInfo, choice: BackendChoice, exclude: readonly string[], timeSoftware = false): BackendInfo['name'][] {
  if (choice !== 'auto' || (selected.name !== 'webgpu' && selected.name !== 'webgl') || (selected.isFallbackAdapter && !timeSoftware)) return [];
  return [selected.name, 'wasm' as const].filter((name) => !exclude.includes(name));
}

/** The timing's candidate: a throwaway session of the run, stepped and read back like the training loop. */
export function sessionTrial(session: Pick<TrainingSession, 'dispatch' | 'readMetrics' | 'dispose'>): Trial {
  return {
    async steps(n) {
      for (let i = 0; i < n; i++) session.dispatch();
      await session.readMetrics();
    },
    dispose: () => session.dispose(),
  };
}

/** What the page is told: the selected backend, or the verdict's with its adapter, the timings and what was given up. */
export function timedInfo(selected: BackendInfo, verdict: Verdict, adapter?: { adapter: string; isFallbackAdapter: boolean }): BackendInfo {
  const skipped = [...selected.skipped, ...verdict.skipped];
  if (!verdict.name) return { ...selected, skipped };
  const name = verdict.name as BackendInfo['name'];
  const device = name === selected.name ? { adapter: selected.adapter, isFallbackAdapter: selected.isFallbackAdapter } : { adapter: adapter?.adapter ?? '', isFallbackAdapter: adapter?.isFallbackAdapter ?? false };
  const timed = verdict.source !== 'only' && verdict.measured.length > 0 && verdict.at !== undefined;
  return { name, ...device, skipped, ...(timed ? { timing: { source: verdict.source as 'measured' | 'cache', at: verdict.at!, measured: verdict.measured } } : {}) };
}
