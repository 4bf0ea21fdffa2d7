/**
 * The benchmark: ms per training step for each registered model at its default size, in
 * Node (cpu, wasm) and in headless Chromium (webgpu, webgl, wasm, cpu) through bench.html.
 * A report, not a test: slow or unavailable backends are reported, never failed.
 *
 * Then, in the app itself, how responsive the page stays while each model trains (main-thread
 * long tasks), on the backend a person gets ('auto') and, for the first model, on WebGL and WebGPU.
 *
 * In Node on WASM, also how fast each model that generates draws samples: for autoregressive
 * models (one network pass per value), with each way of running a pass, naive against cached.
 *
 * Every row says the arithmetic a step does (GFLOP, counted from its convolutions and
 * matrix products: src/core/kernel-flops.ts) and the rate it reached (GFLOP/s), and how many
 * times a step read values back from the backend (a GPU must not wait on those). --profile
 * adds where a WASM step's time goes, kernel by kernel; --pytorch times the same step in
 * PyTorch on the CPU (the run's exported project, as many threads as WASM has) for the ratio.
 *
 *   npm run bench -- [--models ae,...] [--only node|browser] [--no-build] [--steps N] [--timeout S] [--watch S] [--no-sampling] [--node-backends cpu,wasm] [--browser-backends webgpu,webgl,wasm,cpu] [--profile] [--pytorch]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { chromium, type Browser } from '@playwright/test';
import { build, preview, type PreviewServer } from 'vite';
import { CHROMIUM_ARGS, findChromium, HOW_TO_GET_CHROMIUM } from '../../e2e/chromium';
import { defaultConfig } from '../core/config';
import { findModel, MODELS } from '../core/models';
import { createRandom, type Random } from '../core/random';
import { createSession, type TrainingSession } from '../core/training/session';
import { traceKernels, type KernelStats } from '../core/kernel-trace';
import { UsageError } from './args';
import { pythonWithTorch, timePyTorch } from './pytorch-timing';
import { NODE_BACKENDS, useNodeBackend, type NodeBackend } from './node-backend';
import { loadNodeDataset } from './node-datasets';
import { measureResponsiveness, responsivenessTable, type ResponsivenessRow } from './responsiveness';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATASET = 'mnist';
const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
/** Warm-up and timed steps per backend: WebGPU on SwiftShader compiles shaders for tens of seconds and then runs slowly. */
const PLAN: Record<string, { warmup: number; steps: number }> = {
  wasm: { warmup: 5, steps: 20 },
  cpu: { warmup: 3, steps: 10 },
  webgl: { warmup: 3, steps: 10 },
  webgpu: { warmup: 2, steps: 5 },
};

interface Options {
  models: string[];
  only?: 'node' | 'browser';
  build: boolean;
  steps?: number;
  timeoutS: number;
  /** Seconds of training watched for long tasks, per model and backend. */
  watchS: number;
  /** Time sampling too (Node, WASM). */
  sampling: boolean;
  /** The Node backends timed (the CPU backend takes minutes a step on convolutional models). */
  nodeBackends: NodeBackend[];
  /** The browser backends timed. */
  browserBackends: (typeof BROWSER_BACKENDS)[number][];
  /** Where a WASM step's time goes, kernel by kernel. */
  profile: boolean;
  /** The same steps in PyTorch on the CPU, beside WASM. */
  pytorch: boolean;
}

/** Kernels listed per model by --profile. */
const PROFILE_TOP = 12;
/** Steps traced for the FLOP and read counts (and --profile's table). */
const TRACED_STEPS = 2;

interface ProfileRow {
  model: string;
  msPerStep: number;
  kernels: KernelStats[];
}

interface SamplingRow {
  model: string;
  /** 'sample()': the model's own sampler, as the page calls it; else a pass method of an autoregressive model. */
  method: string;
  samples: number;
  seconds: number;
  samplesPerSecond: number;
}

/** Images drawn per timing: a batch, as the page's views draw them. */
const SAMPLED = 16;
/** The ways an autoregressive model's sampler runs a pass (./core/models/autoregressive/pixel-sampler.ts), fastest first. */
const PASS_METHODS = ['cached', 'cropped', 'naive'] as const;

interface Row {
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

/** The fields of the page's BrowserBenchResult (src/bench/protocol.ts, another TS project) that the runner reads. */
interface PageResult {
  status: 'ok' | 'unavailable' | 'error';
  backend?: string;
  batch?: number;
  msPerStep?: number;
  imagesPerSecond?: number;
  warmupMs?: number;
  adapter?: string;
  isFallbackAdapter?: boolean;
  wasmThreads?: number;
  readsPerStep?: number;
  crossOriginIsolated: boolean;
  reason?: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { models: MODELS.map((m) => m.id), build: true, timeoutS: 120, watchS: 15, sampling: true, nodeBackends: [...NODE_BACKENDS], browserBackends: [...BROWSER_BACKENDS], profile: false, pytorch: false };
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
    if (argv[i] === '--models') {
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
    else if (argv[i] === '--no-sampling') options.sampling = false;
    else if (argv[i] === '--browser-backends') {
      const asked = value(i++).split(',').filter(Boolean);
      const unknown = asked.filter((name) => !(BROWSER_BACKENDS as readonly string[]).includes(name));
      if (unknown.length || asked.length === 0) throw new UsageError(`--browser-backends takes some of ${BROWSER_BACKENDS.join(', ')}`);
      options.browserBackends = asked as Options['browserBackends'];
    } else if (argv[i] === '--profile') options.profile = true;
    else if (argv[i] === '--pytorch') options.pytorch = true;
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

const plan = (backend: string, options: Options) => ({ ...PLAN[backend], ...(options.steps ? { steps: options.steps } : {}) });
const log = (text: string) => console.error(`[bench] ${text}`);

/** What a traced step does: its FLOPs and reads, and (--profile) the kernels' times. */
const stepTraces = new Map<string, { gflopPerStep: number; readsPerStep: number; profile: ProfileRow }>();

async function benchNode(model: string, backend: (typeof NODE_BACKENDS)[number], options: Options, rows: Row[]): Promise<Row> {
  const { warmup, steps } = plan(backend, options);
  await useNodeBackend(backend);
  const config = defaultConfig(model, DATASET);
  const session = await createSession(config, loadNodeDataset(DATASET));
  try {
    const warmStart = performance.now();
    for (let i = 0; i < warmup; i += 1) session.dispatch();
    await session.readMetrics();
    const warmupMs = performance.now() - warmStart;
    const start = performance.now();
    for (let i = 0; i < steps; i += 1) session.dispatch();
    // Losses stay on the backend until read: reading them back is what makes the steps finish.
    await session.readMetrics();
    const msPerStep = (performance.now() - start) / steps;
    const threads = backend === 'wasm' ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : undefined;
    const { profile, ...traced } = await traceSteps(session, model);
    if (backend === 'wasm') stepTraces.set(model, { ...traced, profile });
    const row: Row = {
      model, where: 'node', backend, msPerStep, imagesPerSecond: (session.batchSize * 1000) / msPerStep, ...traced,
      note: `${steps} steps, batch ${session.batchSize}${threads ? `, ${threads} thread${threads > 1 ? 's' : ''}` : ''}`,
      details: { warmup, steps, batch: session.batchSize, warmupMs, threads },
    };
    if (options.pytorch && backend === 'wasm') {
      const python = pythonWithTorch();
      const checkpoint = await session.checkpoint();
      const pytorch: Row = { model, where: 'pytorch', backend: 'cpu', note: '', gflopPerStep: traced.gflopPerStep };
      if (!python) pytorch.note = 'no python3 with torch and numpy (Debian: apt install python3-torch)';
      else if (!checkpoint) pytorch.note = 'the model keeps no state to export';
      else {
        log(`pytorch ${model}: ${steps} steps`);
        const timing = await timePyTorch(config, checkpoint, steps, threads ?? 1, python);
        Object.assign(pytorch, timing, timing.msPerStep ? { imagesPerSecond: (session.batchSize * 1000) / timing.msPerStep } : {});
        if (timing.msPerStep) row.vsPyTorch = msPerStep / timing.msPerStep;
      }
      rows.push(row, pytorch);
      return row;
    }
    rows.push(row);
    return row;
  } finally {
    session.dispose();
  }
}

/**
 * TRACED_STEPS steps of a session, traced: per step, the FLOPs, the reads back (steps only
 * dispatched, their losses unread, must need none) and the kernels' times.
 */
async function traceSteps(session: TrainingSession, model: string): Promise<{ gflopPerStep: number; readsPerStep: number; profile: ProfileRow }> {
  const start = performance.now();
  const trace = await traceKernels(() => {
    for (let i = 0; i < TRACED_STEPS; i += 1) session.dispatch();
  });
  const per = (value: number) => value / TRACED_STEPS;
  const msPerStep = per(performance.now() - start);
  await session.readMetrics();
  return {
    gflopPerStep: per(trace.flops) / 1e9,
    readsPerStep: per(trace.reads),
    profile: { model, msPerStep, kernels: trace.kernels.map((k) => ({ ...k, selfMs: per(k.selfMs), flops: per(k.flops), calls: per(k.calls) })) },
  };
}

/** One warm-up step and the traced ones on Node's WASM: the FLOPs a step of the model does (for the browser rows). */
async function traceNodeStep(model: string): Promise<void> {
  await useNodeBackend('wasm');
  const session = await createSession(defaultConfig(model, DATASET), loadNodeDataset(DATASET));
  try {
    session.dispatch();
    await session.readMetrics();
    stepTraces.set(model, await traceSteps(session, model));
  } finally {
    session.dispose();
  }
}

/** An autoregressive model's sampler with a choice of pass (the model's `draw`); absent on other models. */
type Drawing = { draw(canvas: Float32Array, count: number, random: Random, options: { method: (typeof PASS_METHODS)[number] }): Promise<void> };

/** Samples per second on WASM after one training step: the model's sampler, and for autoregressive models each pass method. */
async function benchSampling(model: string): Promise<SamplingRow[]> {
  await useNodeBackend('wasm');
  const session = await createSession(defaultConfig(model, DATASET), loadNodeDataset(DATASET));
  try {
    if (!findModel(model)?.generates) return [];
    session.dispatch();
    await session.readMetrics();
    const rows: SamplingRow[] = [];
    const time = async (method: string, run: () => Promise<void>) => {
      const start = performance.now();
      await run();
      const seconds = (performance.now() - start) / 1000;
      rows.push({ model, method, samples: SAMPLED, seconds, samplesPerSecond: SAMPLED / seconds });
      log(`sampling ${model} ${method}: ${(SAMPLED / seconds).toFixed(2)} samples/s`);
    };
    await time('sample()', async () => (await session.sample(SAMPLED, createRandom(1))).dispose());
    const drawing = session.model as Partial<Drawing>;
    if (typeof drawing.draw === 'function' && session.data.kind === 'image') {
      const values = SAMPLED * session.data.spec.shape.reduce((a, b) => a * b, 1);
      for (const method of PASS_METHODS) await time(method, () => drawing.draw!(new Float32Array(values), SAMPLED, createRandom(1), { method }));
    }
    return rows;
  } finally {
    session.dispose();
  }
}

function samplingTable(rows: SamplingRow[]): string {
  const header = ['model', 'sampler', 'samples', 'seconds', 'samples/s'];
  const body = rows.map((r) => [r.model, r.method, String(r.samples), r.seconds.toFixed(1), r.samplesPerSecond.toFixed(2)]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((line) => line[c].length)));
  const format = (line: string[]) => line.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(format)].join('\n');
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function pageNote(result: PageResult): string {
  const parts = [`batch ${result.batch}`];
  // Renderer strings run long (ANGLE names the whole driver stack); the JSON keeps them whole.
  const adapter = result.adapter && result.adapter.length > 40 ? `${result.adapter.slice(0, 39)}…` : result.adapter;
  if (adapter) parts.push(`${result.isFallbackAdapter ? 'software: ' : ''}${adapter}`);
  if (result.wasmThreads) parts.push(`${result.wasmThreads} thread${result.wasmThreads > 1 ? 's' : ''}`);
  if (!result.crossOriginIsolated) parts.push('page not cross-origin isolated: no WASM threads');
  if (result.warmupMs) parts.push(`warm-up ${(result.warmupMs / 1000).toFixed(1)} s`);
  return parts.join(', ');
}

async function benchPage(browser: Browser, baseUrl: string, model: string, backend: string, options: Options, threads?: number): Promise<Row> {
  const { warmup, steps } = plan(backend, options);
  const url = `${baseUrl}bench.html?backend=${backend}&model=${model}&dataset=${DATASET}&steps=${steps}&warmup=${warmup}${threads ? `&threads=${threads}` : ''}`;
  const row: Row = { model, where: 'browser', backend: threads ? `${backend} (${threads} thread${threads > 1 ? 's' : ''})` : backend, note: '' };
  // A fresh context per backend: each page starts TF.js from scratch.
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.text().startsWith('bench:') || message.type() === 'error') log(`${backend}: ${message.text().replace(/^bench: /, '')}`);
    });
    page.on('pageerror', (error) => log(`${backend}: page error: ${error.message}`));
    const started = Date.now();
    await page.goto(url);
    const handle = await page.waitForFunction(() => (window as { __bench?: unknown }).__bench, null, { timeout: options.timeoutS * 1000, polling: 500 });
    const result = (await handle.jsonValue()) as PageResult;
    row.details = { ...result, wallMs: Date.now() - started, url };
    if (result.status === 'ok') {
      Object.assign(row, { msPerStep: result.msPerStep, imagesPerSecond: result.imagesPerSecond, readsPerStep: result.readsPerStep, note: `${steps} steps, ${pageNote(result)}` });
    } else {
      row.note = `${result.status}: ${result.reason}`;
    }
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    row.note = timedOut ? `timed out after ${options.timeoutS} s` : `error: ${error instanceof Error ? error.message.split('\n')[0] : error}`;
  } finally {
    // A page stuck in a long synchronous step may not close politely; do not wait on it forever.
    await Promise.race([context.close(), new Promise((done) => setTimeout(done, 10_000))]);
  }
  return row;
}

async function benchBrowser(options: Options, rows: Row[], responsiveness: ResponsivenessRow[]): Promise<string | undefined> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(HOW_TO_GET_CHROMIUM);
  if (options.build) {
    log('building the app (vite build)');
    await build({ root: ROOT, logLevel: 'warn' });
  }
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  try {
    // In-process preview server: it reads vite.config.ts, so it sends the COOP/COEP headers WASM threads need.
    server = await preview({ root: ROOT, logLevel: 'warn', preview: { host: '127.0.0.1', port: await freePort(), strictPort: true, open: false } });
    const baseUrl = server.resolvedUrls?.local[0] ?? '';
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    for (const model of options.models) {
      for (const backend of options.browserBackends) {
        log(`browser ${model} ${backend}`);
        const row = await benchPage(browser, baseUrl, model, backend, options);
        rows.push(row);
        const threads = (row.details as unknown as PageResult | undefined)?.wasmThreads;
        const cores = os.cpus().length;
        if (backend === 'wasm' && threads && row.msPerStep && (row.details as unknown as PageResult).crossOriginIsolated && cores > 1) {
          // TF.js starts WASM on half the cores; the same steps on one thread and on every core say what threads are worth
          const timed = new Map<number, Row>([[threads, row]]);
          for (const count of [1, cores].filter((n) => !timed.has(n))) {
            log(`browser ${model} wasm on ${count} thread${count > 1 ? 's' : ''}`);
            const extra = await benchPage(browser, baseUrl, model, backend, options, count);
            rows.push(extra);
            timed.set(count, extra);
          }
          const one = timed.get(1)?.msPerStep;
          const all = timed.get(cores)?.msPerStep;
          if (one && all) timed.get(cores)!.note += `; ${(one / all).toFixed(2)}x as fast as 1 thread`;
        }
      }
    }
    for (const [index, model] of options.models.entries()) {
      for (const backend of index === 0 ? ['auto', 'webgl', 'webgpu'] : ['auto']) {
        log(`page ${model} ${backend}: watching the main thread for ${options.watchS} s of training`);
        responsiveness.push(await measureResponsiveness(browser, baseUrl, model, backend, options.watchS, options.timeoutS));
      }
    }
    return browser.version();
  } finally {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
  }
}

function table(rows: Row[]): string {
  const fixed = (value: number | undefined, digits: number) => (value === undefined ? '-' : value.toFixed(digits));
  const header = ['model', 'where', 'backend', 'ms/step', 'images/s', 'GFLOP', 'GFLOP/s', 'reads', 'vs PyTorch', 'note'];
  const body = rows.map((r) => {
    const gflop = r.gflopPerStep ?? stepTraces.get(r.model)?.gflopPerStep;
    const rate = gflop !== undefined && r.msPerStep ? (gflop * 1000) / r.msPerStep : undefined;
    return [r.model, r.where, r.backend, fixed(r.msPerStep, 1), fixed(r.imagesPerSecond, 0), fixed(gflop, 2), fixed(rate, 1), fixed(r.readsPerStep, 0), r.vsPyTorch ? `${r.vsPyTorch.toFixed(2)}x` : '-', r.note];
  });
  const last = header.length - 1;
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((line) => line[c].length)));
  const format = (line: string[]) => line.map((cell, c) => (c >= 3 && c < last ? cell.padStart(widths[c]) : c === last ? cell : cell.padEnd(widths[c]))).join('  ');
  return [format(header), widths.map((w, c) => (c === last ? '-'.repeat(Math.min(w, 40)) : '-'.repeat(w))).join('  '), ...body.map(format)].join('\n');
}

/** --profile: each model's WASM step, kernel by kernel (own time, less the kernels it ran). */
function profileTable(profile: ProfileRow): string {
  const total = profile.kernels.reduce((sum, k) => sum + k.selfMs, 0);
  const lines = profile.kernels.slice(0, PROFILE_TOP).map((k) =>
    [k.name.padEnd(28), k.selfMs.toFixed(1).padStart(8), `${((100 * k.selfMs) / total).toFixed(0)}%`.padStart(5), k.calls.toFixed(0).padStart(6), k.flops ? (k.flops * 1e-9).toFixed(3).padStart(6) : '-'.padStart(6)].join('  '),
  );
  const header = ['kernel'.padEnd(28), 'ms/step'.padStart(8), 'share'.padStart(5), 'calls'.padStart(6), 'GFLOP'.padStart(6)].join('  ');
  return [`${profile.model}: ${profile.msPerStep.toFixed(1)} ms/step traced (tracing adds a little), kernels ${total.toFixed(1)} ms`, header, ...lines].join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const rows: Row[] = [];
  const responsiveness: ResponsivenessRow[] = [];
  let chromiumVersion: string | undefined;
  const sampling: SamplingRow[] = [];
  if (options.only !== 'browser') {
    for (const model of options.models) {
      for (const backend of options.nodeBackends) {
        log(`node ${model} ${backend}`);
        await benchNode(model, backend, options, rows);
      }
      if (options.sampling) sampling.push(...(await benchSampling(model)));
    }
  }
  if (options.only !== 'node') {
    // the browser rows' GFLOP/s need each step's FLOPs, counted in Node (the same on every backend)
    for (const model of options.models.filter((id) => !stepTraces.has(id))) await traceNodeStep(model);
    chromiumVersion = await benchBrowser(options, rows, responsiveness);
  }
  const date = new Date();
  const report = {
    date: date.toISOString(),
    durationS: (Date.now() - started) / 1000,
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, platform: `${os.platform()} ${os.release()} ${os.arch()}`, memoryGiB: os.totalmem() / 2 ** 30 },
    node: process.version,
    chromium: chromiumVersion,
    tfjs: tf.version.tfjs,
    dataset: DATASET,
    options,
    results: rows,
    profile: options.profile ? [...stepTraces.values()].map((t) => t.profile) : undefined,
    sampling,
    responsiveness,
  };
  const dir = join(ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${report.date.replace(/:/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${report.machine.cpu} (${report.machine.cores} cores), Node ${report.node}${chromiumVersion ? `, Chromium ${chromiumVersion}` : ''}, TF.js ${report.tfjs}`);
  console.log(table(rows));
  if (options.profile) {
    console.log('\nWhere a WASM step goes (--profile): each kernel\'s own time (less the kernels it ran), and the FLOPs of the convolutions and products it stands for');
    for (const model of options.models) {
      const traced = stepTraces.get(model);
      if (traced) console.log(`\n${profileTable(traced.profile)}`);
    }
  }
  if (sampling.length) {
    console.log(`\nSampling in Node on WASM, ${SAMPLED} images at once after one training step`);
    console.log(samplingTable(sampling));
  }
  if (responsiveness.length) {
    console.log(`\nThe page while training (${options.watchS} s each): main-thread tasks over 50 ms`);
    console.log(responsivenessTable(responsiveness));
  }
  console.log(`\n${report.durationS.toFixed(0)} s; written to ${file} and bench-results/latest.json`);
}

main().then(
  // The WASM backend and the Playwright driver can leave handles open: the report is done, so leave.
  () => process.exit(0),
  (error) => {
    console.error(error instanceof UsageError ? `usage error: ${error.message}` : error);
    console.error('usage: npm run bench -- [--models ae,...] [--only node|browser] [--no-build] [--steps N] [--timeout S] [--watch S] [--no-sampling] [--node-backends cpu,wasm] [--browser-backends webgpu,webgl,wasm,cpu] [--profile] [--pytorch]');
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
