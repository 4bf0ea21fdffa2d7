/** The benchmark's options, its rows, and what its parts share (see bench.ts). */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetsFor } from '../core/config';
import { findDataset } from '../core/datasets/catalog';
import { findModel, MODELS } from '../core/models';
import type { KernelStats } from '../core/kernel-trace';
import { UsageError } from './args';
import { NODE_BACKENDS, type NodeBackend } from './node-backend';
import { PYTORCH_ISAS, type PyTorchIsa } from './pytorch-isa';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATASET = 'mnist';
/** The ways an autoregressive model's sampler can run a pass (its `draw`), each timed by the sampling rows. */
export const PASS_METHODS = ['cached', 'cropped', 'naive'] as const;
export type PassMethod = (typeof PASS_METHODS)[number];
/** The pages watched by default: images (grids, the latent scatter) and 2-D points (plots drawn on canvases). */
export const WATCH_DATA = ['mnist', 'ring'] as const;
export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
/** Warm-up and timed steps per backend: WebGPU on SwiftShader compiles shaders for tens of seconds and then runs slowly. */
export const PLAN: Record<string, { warmup: number; steps: number }> = {
  wasm: { warmup: 5, steps: 20 },
  cpu: { warmup: 3, steps: 10 },
  webgl: { warmup: 3, steps: 10 },
  webgpu: { warmup: 2, steps: 5 },
};

export interface Options {
  models: string[];
  only?: 'node' | 'browser';
  build: boolean;
  steps?: number;
  timeoutS: number;
  /** Seconds of training watched for long tasks, per model, dataset and backend. */
  watchS: number;
  /** The datasets each model's page is watched on, where the model trains on them: the 2-D ones draw plots, not image grids. */
  watchData: string[];
  /** Time sampling too (Node, WASM). */
  sampling: boolean;
  /** The autoregressive models' passes timed (the naive one takes many minutes on PixelCNN++). */
  passes: PassMethod[];
  /** The dataset the sampling rows train a step on and draw (the training rows always use DATASET). */
  samplingData: string;
  /** The Node backends timed (the CPU backend takes minutes a step on convolutional models). */
  nodeBackends: NodeBackend[];
  /** The browser backends timed. */
  browserBackends: (typeof BROWSER_BACKENDS)[number][];
  /** Where a WASM step's time goes, kernel by kernel. */
  profile: boolean;
  /** With --profile: Node's kernels counted apart by their inputs' shapes (which convolution is slow?). */
  byShape?: boolean;
  /** Print what each option does, and time nothing. */
  help?: boolean;
  /** The same steps in PyTorch on the CPU, beside WASM. */
  pytorch: boolean;
  /** With --pytorch: WASM and PyTorch timed this many times, in turn; each side's fastest is kept. */
  rounds: number;
  /** With --pytorch: the widest vectors PyTorch may use (./pytorch-timing.ts), to stand in for a processor without AVX-512. */
  pytorchIsa?: PyTorchIsa;
}

/** Kernels listed per model by --profile. */
export const PROFILE_TOP = 12;

export interface ProfileRow {
  model: string;
  msPerStep: number;
  kernels: KernelStats[];
}

export interface SamplingRow {
  model: string;
  dataset: string;
  /** 'sample()': the model's own sampler, as the page calls it; else a pass method of an autoregressive model. */
  method: string;
  samples: number;
  seconds: number;
  samplesPerSecond: number;
}


export interface Row {
  model: string;
  where: 'node' | 'browser' | 'pytorch';
  backend: string;
  msPerStep?: number;
  imagesPerSecond?: number;
  /** Arithmetic of one step, in GFLOP (the same on every backend). */
  gflopPerStep?: number;
  /** Values read back from the backend in one step, outside any kernel. */
  readsPerStep?: number;
  /** ms per step over PyTorch's on the CPU (WASM rows with --pytorch). */
  vsPyTorch?: number;
  note: string;
  /** Everything else measured (page result, warm-up time...), kept for the JSON file. */
  details?: Record<string, unknown>;
}


/**
 * The threads a row ran on: Node's count (details.threads), else the count our kernels ran
 * on in a page (details.kernelThreads: most of a step's arithmetic), else TF.js's
 * (details.wasmThreads: TF.js may start another count than the page asked for, tfjs#6081),
 * else the count in its label, else 1.
 */
export function threadsOf(row: Row): number {
  return Number(row.details?.threads ?? row.details?.kernelThreads ?? row.details?.wasmThreads ?? /\((?:asked for )?(\d+) threads?\)/.exec(row.backend)?.[1] ?? 1);
}

/**
 * A browser row's label on a page that asked for `asked` threads, where TF.js started
 * `started` and our kernels ran on `ours`: the count asked for, said to be only asked for
 * where neither ran it.
 */
export function threadsLabel(backend: string, asked: number, started: number | undefined, ours?: number): { backend: string; note: string } {
  // the page's note says which ran what (bench-browser.ts's pageNote)
  if (started === undefined || started === asked || ours === asked) return { backend: `${backend} (${threadsWord(asked)})`, note: '' };
  return { backend: `${backend} (asked for ${threadsWord(asked)})`, note: `; TF.js started ${started}, not ${asked}` };
}

/** "1 thread", "2 threads". */
export const threadsWord = (count: number) => `${count} thread${count > 1 ? 's' : ''}`;

export const USAGE = 'usage: npm run bench -- [--models ae,...] [--only node|browser] [--no-build] [--steps N] [--timeout S] [--watch S] [--watch-data mnist,ring] [--no-sampling] [--passes cached,cropped,naive] [--sampling-data ID] [--node-backends cpu,wasm] [--browser-backends webgpu,webgl,wasm,cpu] [--profile] [--by-shape] [--pytorch] [--rounds N] [--pytorch-isa avx2]';

/** What each option does, for `npm run bench -- --help`: the README's Benchmark section says the same at more length. */
export const HELP = `${USAGE}

Times a training step of each model at its default size (batch 64, MNIST): in Node, and in
headless Chromium on each backend it can start, then watches the app's page while each model
trains. Prints tables and writes bench-results/latest.json. A report, not a test.

  --models ae,gan,...     only these models (default: all ten)
  --only node|browser     only Node's rows or only Chromium's
  --node-backends LIST    Node backends to time, of cpu,wasm (cpu takes minutes a step on convolutions)
  --browser-backends LIST browser backends to time, of webgpu,webgl,wasm,cpu
  --steps N               timed steps a row (default: 20 on WASM, 10 on CPU and WebGL, 5 on WebGPU)
  --timeout S             give up on a browser row or page after S seconds (default 120)
  --no-build              reuse dist/ instead of building the app first
  --watch S               seconds of training watched on each page for main-thread tasks over 50 ms (default 15)
  --watch-data LIST       datasets the pages are watched on, where a model trains on them (default mnist,ring)
  --no-sampling           leave out the sampling table (Node, WASM)
  --passes LIST           the autoregressive samplers' passes to time, of cached,cropped,naive
  --sampling-data ID      the dataset the sampling rows train a step on and draw (default mnist)
  --profile               where a WASM step's time goes, kernel by kernel (Node and the page's worker)
  --by-shape              --profile with Node's kernels apart by their inputs' shapes
  --pytorch               the same step in PyTorch on the CPU, beside WASM, on as many threads
  --rounds N              time ours and PyTorch's N times in turns and keep each side's fastest
  --pytorch-isa avx2      hold PyTorch to AVX2, as on most school laptops' processors
  --help                  this text`;

export function parseArgs(argv: string[]): Options {
  const options: Options = { models: MODELS.map((m) => m.id), build: true, timeoutS: 120, watchS: 15, watchData: [...WATCH_DATA], sampling: true, passes: [...PASS_METHODS], samplingData: DATASET, nodeBackends: [...NODE_BACKENDS], browserBackends: [...BROWSER_BACKENDS], profile: false, pytorch: false, rounds: 1 };
  const value = (i: number) => {
    if (argv[i + 1] === undefined || argv[i + 1].startsWith('--')) throw new UsageError(`${argv[i]} needs a value`);
    return argv[i + 1];
  };
  const positive = (i: number) => {
    const n = Number(value(i));
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${argv[i]} must be a positive whole number`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--help' || argv[i] === '-h') options.help = true;
    else if (argv[i] === '--models') {
      options.models = value(i++).split(',').filter(Boolean);
      const unknown = options.models.filter((id) => !findModel(id));
      if (unknown.length) throw new UsageError(`unknown model ${unknown.join(', ')}; known: ${MODELS.map((m) => m.id).join(', ')}`);
    } else if (argv[i] === '--only') {
      const where = value(i++);
      if (where !== 'node' && where !== 'browser') throw new UsageError('--only takes node or browser');
      options.only = where;
    } else if (argv[i] === '--no-build') options.build = false;
    else if (argv[i] === '--steps') options.steps = positive(i++);
    else if (argv[i] === '--timeout') options.timeoutS = positive(i++);
    else if (argv[i] === '--watch') options.watchS = positive(i++);
    else if (argv[i] === '--watch-data') {
      const asked = value(i++).split(',').filter(Boolean);
      const unknown = asked.filter((id) => !findDataset(id));
      if (unknown.length || asked.length === 0) throw new UsageError(`--watch-data takes dataset ids${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
      options.watchData = asked;
    }
    else if (argv[i] === '--no-sampling') options.sampling = false;
    else if (argv[i] === '--passes') {
      const asked = value(i++).split(',').filter(Boolean);
      if (asked.length === 0 || asked.some((name) => !(PASS_METHODS as readonly string[]).includes(name))) throw new UsageError(`--passes takes some of ${PASS_METHODS.join(', ')}`);
      options.passes = asked as PassMethod[];
    } else if (argv[i] === '--sampling-data') {
      const id = value(i++);
      if (!findDataset(id)) throw new UsageError(`unknown dataset ${id}`);
      options.samplingData = id;
    }
    else if (argv[i] === '--browser-backends') {
      const asked = value(i++).split(',').filter(Boolean);
      const unknown = asked.filter((name) => !(BROWSER_BACKENDS as readonly string[]).includes(name));
      if (unknown.length || asked.length === 0) throw new UsageError(`--browser-backends takes some of ${BROWSER_BACKENDS.join(', ')}`);
      options.browserBackends = asked as Options['browserBackends'];
    } else if (argv[i] === '--profile') options.profile = true;
    else if (argv[i] === '--by-shape') Object.assign(options, { profile: true, byShape: true });
    else if (argv[i] === '--pytorch') options.pytorch = true;
    else if (argv[i] === '--rounds') options.rounds = positive(i++);
    else if (argv[i] === '--pytorch-isa') {
      const isa = value(i++);
      if (!(PYTORCH_ISAS as readonly string[]).includes(isa)) throw new UsageError(`--pytorch-isa takes ${PYTORCH_ISAS.join(' or ')}`);
      options.pytorchIsa = isa as PyTorchIsa;
    }
    else if (argv[i] === '--node-backends') {
      const asked = value(i++).split(',').filter(Boolean);
      const unknown = asked.filter((name) => !(NODE_BACKENDS as readonly string[]).includes(name));
      if (unknown.length || asked.length === 0) throw new UsageError(`--node-backends takes some of ${NODE_BACKENDS.join(', ')}`);
      options.nodeBackends = asked as NodeBackend[];
    }
    else throw new UsageError(`unknown argument "${argv[i]}"`);
  }
  return options;
}

export const plan = (backend: string, options: Options) => ({ ...PLAN[backend], ...(options.steps ? { steps: options.steps } : {}) });
export const log = (text: string) => console.error(`[bench] ${text}`);

export interface WatchedPage {
  model: string;
  dataset: string;
  backend: string;
}

/**
 * The pages the benchmark watches: every model on each of `watchData` it trains on, on
 * what a person gets (auto); the first of those pages also on each backend asked for.
 * `skipped`: the models that train on none of them.
 */
export function watchPlan(options: Pick<Options, 'models' | 'watchData' | 'browserBackends'>): { pages: WatchedPage[]; skipped: string[] } {
  const pages: WatchedPage[] = [];
  const skipped: string[] = [];
  for (const model of options.models) {
    const spec = findModel(model);
    const trainsOn = new Set(spec ? datasetsFor(spec).map((data) => data.id) : []);
    const datasets = [...new Set(options.watchData)].filter((id) => trainsOn.has(id));
    if (datasets.length === 0) skipped.push(model);
    for (const dataset of datasets) {
      for (const backend of pages.length === 0 ? ['auto', ...options.browserBackends] : ['auto']) pages.push({ model, dataset, backend });
    }
  }
  return { pages, skipped };
}
