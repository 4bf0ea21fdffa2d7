/**
 * The benchmark: ms per training step for each registered model at its default size, in
 * Node (cpu, wasm) and in headless Chromium (webgpu, webgl, wasm, cpu) through bench.html.
 * A report, not a test: slow or unavailable backends are reported, never failed.
 *
 * Then, in the app itself, how responsive the page stays while each model trains (main-thread
 * long tasks), on the backend a person gets ('auto') and, for the first model, on each browser backend asked for.
 *
 * In Node on WASM, also how fast each model that generates draws samples: for autoregressive
 * models (one network pass per value), with each way of running a pass, naive against cached.
 *
 * Every row says the arithmetic a step does (GFLOP, counted from its convolutions and
 * matrix products: src/core/kernel-flops.ts) and the rate it reached (GFLOP/s), and how many
 * times a step read values back from the backend (a GPU must not wait on those). --profile
 * adds where a WASM step's time goes, kernel by kernel; --pytorch times the same step in
 * PyTorch on the CPU (the run's exported project, as many threads as WASM has) for the ratio;
 * --rounds N times the two N times in turn and keeps each side's fastest (a shared machine's
 * load drifts within a minute); --pytorch-isa avx2 holds PyTorch to AVX2, as on a processor
 * without AVX-512 (./pytorch-isa.ts).
 * The header gives the machine's matrix-product peak on WASM and in PyTorch (./peak-flops.ts).
 *
 *   npm run bench -- [--models ae,...] [--only node|browser] [--no-build] [--steps N] [--timeout S] [--watch S] [--watch-data mnist,ring] [--no-sampling] [--node-backends cpu,wasm] [--browser-backends webgpu,webgl,wasm,cpu] [--profile] [--by-shape] [--pytorch] [--rounds N] [--pytorch-isa avx2]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { defaultConfig } from '../core/config';
import { findModel } from '../core/models';
import { createRandom, type Random } from '../core/random';
import { createSession, type TrainingSession } from '../core/training/session';
import { kernelsPerStep, traceKernels } from '../core/kernel-trace';
import { UsageError } from './args';
import { benchBrowser, browserProfile } from './bench-browser';
import { DATASET, HELP, log, parseArgs, plan, ROOT, threadsOf, USAGE, type Options, type PassMethod, type ProfileRow, type Row, type SamplingRow } from './bench-options';
import { profileTable, samplingTable, table } from './bench-tables';
import { hasRelaxedSimd } from '../core/wasm-simd/kernels';
import { pytorchPeak, wasmPeaks } from './peak-flops';
import { pytorchIsaEnv } from './pytorch-isa';
import { pythonWithTorch, timePyTorch } from './pytorch-timing';
import { NODE_BACKENDS, useNodeBackend, allowRelaxedSimd } from './node-backend';
import { loadNodeDataset } from './node-datasets';
import { responsivenessTable, type ResponsivenessRow } from './responsiveness';

/** Steps traced for the FLOP and read counts (and --profile's table). */
const TRACED_STEPS = 2;

/** Images drawn per timing: a batch, as the page's views draw them. */
const SAMPLED = 16;

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
    const timeSteps = async () => {
      const start = performance.now();
      for (let i = 0; i < steps; i += 1) session.dispatch();
      // Losses stay on the backend until read: reading them back is what makes the steps finish.
      await session.readMetrics();
      return (performance.now() - start) / steps;
    };
    let msPerStep = await timeSteps();
    const threads = backend === 'wasm' ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : undefined;
    const { profile, ...traced } = await traceSteps(session, model, options.byShape);
    if (backend === 'wasm') stepTraces.set(model, { ...traced, profile });
    const row: Row = {
      model, where: 'node', backend, msPerStep, imagesPerSecond: (session.batchSize * 1000) / msPerStep, ...traced,
      note: `${steps} steps, batch ${session.batchSize}${threads ? `, ${threads} thread${threads > 1 ? 's' : ''}` : ''}`,
      details: { warmup, steps, batch: session.batchSize, warmupMs, threads },
    };
    if (options.pytorch && backend === 'wasm') {
      const python = pythonWithTorch();
      const checkpoint = await session.checkpoint();
      const pytorch: Row = { model, where: 'pytorch', backend: options.pytorchIsa ? `cpu (${options.pytorchIsa})` : 'cpu', note: '', gflopPerStep: traced.gflopPerStep, details: { threads: threads ?? 1, isa: options.pytorchIsa } };
      const isaEnv = pytorchIsaEnv(options.pytorchIsa);
      if (!python) pytorch.note = 'no python3 with torch and numpy (Debian: apt install python3-torch)';
      else if (!checkpoint) pytorch.note = 'the model keeps no state to export';
      else {
        log(`pytorch ${model}: ${steps} steps`);
        // On a shared machine the load drifts: timed in turn, each side's fastest round is the least disturbed
        let timing = await timePyTorch(config, checkpoint, steps, threads ?? 1, python, isaEnv);
        for (let round = 2; round <= options.rounds && timing.msPerStep; round += 1) {
          log(`${model}: round ${round} of ${options.rounds}`);
          msPerStep = Math.min(msPerStep, await timeSteps());
          const again = await timePyTorch(config, checkpoint, steps, threads ?? 1, python, isaEnv);
          if (again.msPerStep && again.msPerStep < timing.msPerStep!) timing = again;
        }
        if (options.rounds > 1 && timing.msPerStep) {
          Object.assign(row, { msPerStep, imagesPerSecond: (session.batchSize * 1000) / msPerStep, note: `${row.note}, best of ${options.rounds}` });
          timing.note = `${timing.note}, best of ${options.rounds}`;
        }
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
async function traceSteps(session: TrainingSession, model: string, byShape = false): Promise<{ gflopPerStep: number; readsPerStep: number; profile: ProfileRow }> {
  const start = performance.now();
  const trace = await traceKernels(() => {
    for (let i = 0; i < TRACED_STEPS; i += 1) session.dispatch();
  }, { byShape });
  const per = (value: number) => value / TRACED_STEPS;
  const msPerStep = per(performance.now() - start);
  await session.readMetrics();
  return {
    gflopPerStep: per(trace.flops) / 1e9,
    readsPerStep: per(trace.reads),
    profile: { model, msPerStep, kernels: kernelsPerStep(trace, TRACED_STEPS) },
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
type Drawing = { draw(canvas: Float32Array, count: number, random: Random, options: { method: PassMethod }): Promise<void> };

/** Samples per second on WASM after one training step: the model's sampler, and for autoregressive models each pass method. */
async function benchSampling(model: string, passes: PassMethod[], data: string): Promise<SamplingRow[]> {
  await useNodeBackend('wasm');
  // a dataset the model cannot take falls back to its first, and the rows say which
  const config = defaultConfig(model, data);
  const session = await createSession(config, loadNodeDataset(config.dataset));
  try {
    if (!findModel(model)?.generates) return [];
    session.dispatch();
    await session.readMetrics();
    const rows: SamplingRow[] = [];
    const time = async (method: string, run: () => Promise<void>) => {
      const start = performance.now();
      await run();
      const seconds = (performance.now() - start) / 1000;
      rows.push({ model, dataset: config.dataset, method, samples: SAMPLED, seconds, samplesPerSecond: SAMPLED / seconds });
      log(`sampling ${model} on ${config.dataset} ${method}: ${(SAMPLED / seconds).toFixed(2)} samples/s`);
    };
    await time('sample()', async () => (await session.sample(SAMPLED, createRandom(1))).dispose());
    const drawing = session.model as Partial<Drawing>;
    if (typeof drawing.draw === 'function' && session.data.kind === 'image') {
      const values = SAMPLED * session.data.spec.shape.reduce((a, b) => a * b, 1);
      for (const method of passes) await time(method, () => drawing.draw!(new Float32Array(values), SAMPLED, createRandom(1), { method }));
    }
    return rows;
  } finally {
    session.dispose();
  }
}

/**
 * The GFLOP/s a row's backend could reach on this machine: the single-thread matrix-product
 * peak (WASM's in the variant the engine runs, PyTorch's oneDNN) times the row's threads.
 * None for WebGL, WebGPU or TF.js's CPU backend.
 */
function peakOf(row: Row, peaks: { wasm: { fused?: number; plain: number }; pytorch?: number } | undefined): number | undefined {
  if (!peaks) return undefined;
  const threads = threadsOf(row);
  if (row.where === 'pytorch') return peaks.pytorch === undefined ? undefined : peaks.pytorch * threads;
  // Node runs the plain variant unless relaxed SIMD was allowed (the benchmark allows it); Chrome always has it
  const relaxed = row.where === 'browser' || hasRelaxedSimd();
  return row.backend.startsWith('wasm') ? (relaxed ? (peaks.wasm.fused ?? peaks.wasm.plain) : peaks.wasm.plain) * threads : undefined;
}

async function main(): Promise<void> {
  allowRelaxedSimd(); // train as the page does
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    console.log(HELP);
    return;
  }
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
      if (options.sampling) sampling.push(...(await benchSampling(model, options.passes, options.samplingData)));
    }
  }
  if (options.only !== 'node') {
    // the browser rows' GFLOP/s need each step's FLOPs, counted in Node (the same on every backend)
    for (const model of options.models.filter((id) => !stepTraces.has(id))) await traceNodeStep(model);
    chromiumVersion = await benchBrowser(options, rows, responsiveness);
  }
  // the rates the machine allows, beside the rates the models reach
  const timedWasm = options.only !== 'browser' && options.nodeBackends.includes('wasm');
  const python = options.pytorch ? pythonWithTorch() : undefined;
  const peaks = timedWasm ? { wasm: wasmPeaks(), pytorch: python ? pytorchPeak(python, 1, pytorchIsaEnv(options.pytorchIsa)) : undefined } : undefined;
  const browserProfiles = rows.map(browserProfile).filter((p): p is ProfileRow => p !== undefined);
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
    browserProfile: options.profile ? browserProfiles : undefined,
    sampling,
    responsiveness,
    peaks,
  };
  const dir = join(ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${report.date.replace(/:/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${report.machine.cpu} (${report.machine.cores} cores), Node ${report.node}${chromiumVersion ? `, Chromium ${chromiumVersion}` : ''}, TF.js ${report.tfjs}`);
  if (peaks) {
    const { fused, plain } = peaks.wasm;
    const wasm = `WASM SIMD (128-bit) ${fused ? `${fused.toFixed(0)} GFLOP/s with fused multiply-add (relaxed SIMD), ` : ''}${plain.toFixed(0)} without`;
    console.log(`Matrix-product peak on 1 thread: ${wasm}${peaks.pytorch ? `; PyTorch (oneDNN${options.pytorchIsa ? `, held to ${options.pytorchIsa.toUpperCase()}` : ''}, a 5x5 convolution) ${peaks.pytorch.toFixed(0)} GFLOP/s` : ''}`);
  }
  console.log(table(rows, (model) => stepTraces.get(model)?.gflopPerStep, (row) => peakOf(row, peaks)));
  if (options.profile) {
    console.log('\nWhere a WASM step goes (--profile): each kernel\'s own time (less the kernels it ran), and the FLOPs of the convolutions and products it stands for');
    for (const model of options.models) {
      const traced = stepTraces.get(model);
      if (traced) console.log(`\n${profileTable(traced.profile)}`);
    }
    if (browserProfiles.length) {
      console.log('\nWhere a WASM step goes in Chromium (--profile), the same way: the page\'s worker, on as many threads as TF.js started');
      for (const profile of browserProfiles) console.log(`\n${profileTable(profile)}`);
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
    console.error(USAGE);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
