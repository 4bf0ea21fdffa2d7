/**
 * What threads are worth on WASM in the browser, in turns, one sitting: each model's
 * training step in headless Chromium (the benchmark's page, its worker as the app's) on
 *   - one thread (TF.js's and ours);
 *   - TF.js's threads, ours on one: how the app ran before our products took threads
 *     (src/core/wasm-simd/kernel-threads.ts): where TF.js has more threads than ours, its
 *     XNNPACK runs the forward convolutions and products;
 *   - TF.js's threads, ours as the app takes them (as many, or two where TF.js keeps one on
 *     a machine of 2-3 logical cores): how the app runs now;
 *   - ours on every real core, TF.js's as it starts (half of them): what a second thread
 *     of ours is worth where TF.js keeps one (a 2-core machine).
 * TF.js starts half as many threads as the worker's navigator reports cores. `--cores N`
 * makes the worker report N (a stand-in for a bigger machine: on a 2-core host, 4 cores
 * give TF.js two threads, on two real cores). Rounds run in turns; each row keeps its best.
 * `--pytorch` times the same step in PyTorch (the run's exported project, ./pytorch-timing.ts)
 * in the same turns, on one thread and on as many as the page's "now" step ran on (TF.js's or
 * ours, the more), for the ratio at each count; `--pytorch-isa avx2` implies it.
 *
 *   npm run bench:threads -- [--models ebm,gan] [--cores 4] [--steps 15] [--rounds 2] [--no-build] [--pytorch] [--pytorch-isa avx2]
 */
import os from 'node:os';
import { chromium } from 'playwright';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, findChromium, HOW_TO_GET_CHROMIUM } from '../../e2e/chromium';
import type { BrowserBenchResult } from '../bench/protocol';
import { defaultConfig, type RunConfig } from '../core/config';
import { createSession } from '../core/training/session';
import type { Checkpoint } from '../core/training/checkpoint';
import { benchPageResult } from './bench-browser';
import { alignedTable } from './bench-tables';
import { DATASET, ROOT } from './bench-options';
import { parseThreadOptions } from './bench-thread-options';
import { useNodeBackend } from './node-backend';
import { loadNodeDataset } from './node-datasets';
import { pytorchIsaEnv } from './pytorch-isa';
import { pythonWithTorch, timePyTorch } from './pytorch-timing';

interface Variant {
  name: string;
  /** The page's query beyond the model's. */
  query: (cores: number) => string;
}

const VARIANTS: Variant[] = [
  { name: 'one thread', query: () => '&threads=1' },
  { name: "TF.js's threads, ours on one (before)", query: (cores) => `&cores=${cores}&kernelThreads=1` },
  { name: "TF.js's threads, ours as the app takes them (now)", query: (cores) => `&cores=${cores}` },
  { name: 'ours on every real core', query: () => `&kernelThreads=${os.cpus().length}` },
];

/** The model's run at its defaults, as PyTorch's side takes it: its config and initial weights (made in Node, on TF.js's CPU backend). */
async function exportedRun(model: string): Promise<{ config: RunConfig; checkpoint?: Checkpoint }> {
  await useNodeBackend('cpu');
  const config = defaultConfig(model, DATASET);
  const session = await createSession(config, loadNodeDataset(DATASET));
  try {
    return { config, checkpoint: await session.checkpoint() };
  } finally {
    session.dispose();
  }
}

/** VARIANTS' row of how the app runs now, which PyTorch is timed beside at its thread count. */
const NOW = 2;

const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : '-');

/**
 * PyTorch's side of a model's rows: the run exported once, then timed each round on one
 * thread and on the page's "now" count, each count's best kept; after a failure (no state to
 * export, no export, train.py failing) it is not tried again and the cells say why.
 */
class PyTorchSide {
  private readonly best = [{ threads: 1, ms: Infinity }, { threads: 0, ms: Infinity }];
  private constructor(private readonly model: string, private readonly steps: number, private readonly python: string, private readonly env: Record<string, string>, private run: { config: RunConfig; checkpoint: Checkpoint } | undefined, private why: string) {}

  static async of(model: string, steps: number, python: string, env: Record<string, string>): Promise<PyTorchSide> {
    try {
      const { config, checkpoint } = await exportedRun(model);
      return new PyTorchSide(model, steps, python, env, checkpoint ? { config, checkpoint } : undefined, checkpoint ? '' : 'the model keeps no state to export');
    } catch (error) {
      return new PyTorchSide(model, steps, python, env, undefined, `not exported: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Times a round on `threads` threads into the best of column `column` (0: one thread, 1: now's count). */
  async time(threads: number, column: 0 | 1): Promise<void> {
    if (!this.run) return;
    const timing = await timePyTorch(this.run.config, this.run.checkpoint, this.steps, threads, this.python, this.env);
    console.error(`[threads] ${this.model}, PyTorch on ${threads}: ${timing.msPerStep ? `${timing.msPerStep.toFixed(1)} ms a step` : timing.note}`);
    if (!timing.msPerStep) [this.run, this.why] = [undefined, timing.note];
    else if (timing.msPerStep < this.best[column].ms) this.best[column] = { threads, ms: timing.msPerStep };
  }

  /** The row's cells: PyTorch on one thread, on now's count (with it), then our one-thread and now steps over them. */
  cells(oneMs: number, nowMs: number): string[] {
    const [one, now] = this.best;
    const shown = (ms: number, label = '') => (Number.isFinite(ms) ? `${ms.toFixed(1)}${label}` : this.why || 'failed');
    return [shown(one.ms), shown(now.ms, ` (${now.threads})`), ratio(oneMs, one.ms), ratio(nowMs, now.ms)];
  }
}

async function main(): Promise<void> {
  const { models, cores, steps, rounds, build: building, pytorch, pytorchIsa } = parseThreadOptions(process.argv.slice(2), os.cpus().length);
  const python = pytorch ? pythonWithTorch() : undefined;
  if (pytorch && !python) throw new Error('--pytorch needs python3 with torch and numpy (Debian: apt install python3-torch)');
  const executablePath = findChromium();
  if (!executablePath) throw new Error(HOW_TO_GET_CHROMIUM);
  if (building) await build({ root: ROOT, logLevel: 'warn' });
  const server = await preview({ root: ROOT, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, open: false } });
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  const body: string[][] = [];
  try {
    const base = server.resolvedUrls?.local[0] ?? '';
    for (const model of models) {
      const best = VARIANTS.map(() => ({ ms: Infinity, result: undefined as BrowserBenchResult | undefined }));
      const side = python ? await PyTorchSide.of(model, steps, python, pytorchIsaEnv(pytorchIsa)) : undefined;
      for (let round = 0; round < rounds; round++) {
        let nowThreads: number | undefined;
        for (const [i, variant] of VARIANTS.entries()) {
          const result = await benchPageResult(browser, `${base}bench.html?backend=wasm&model=${model}&dataset=${DATASET}&steps=${steps}&warmup=3${variant.query(cores)}`, model, 900);
          const ms = result.status === 'ok' ? (result.msPerStep ?? Infinity) : Infinity;
          console.error(`[threads] ${model}, ${variant.name}: ${result.status === 'ok' ? `${ms.toFixed(1)} ms a step (TF.js on ${result.wasmThreads}, ours on ${result.kernelThreads})` : `${result.status}: ${result.reason}`}`);
          if (ms < best[i].ms) best[i] = { ms, result };
          if (i === NOW && result.status === 'ok') nowThreads = Math.max(result.wasmThreads ?? 1, result.kernelThreads ?? 1);
        }
        // PyTorch on one thread, and on as many as the page's step ran on now (its threads and ours)
        await side?.time(1, 0);
        if (nowThreads) await side?.time(nowThreads, 1);
      }
      const [one, before, now, every] = best;
      const cell = ({ ms, result }: (typeof best)[number]) => (result ? `${ms.toFixed(1)} (${result.wasmThreads ?? '?'} / ${result.kernelThreads ?? '?'})` : 'failed');
      const row = [model, cell(one), cell(before), cell(now), cell(every), ratio(now.ms, before.ms), ratio(now.ms, one.ms), ratio(every.ms, one.ms)];
      if (side) row.push(...side.cells(one.ms, now.ms));
      body.push(row);
    }
  } finally {
    await browser.close().catch(() => {});
    await server.close().catch(() => {});
  }
  console.log(`\n${os.cpus()[0]?.model.trim()} (${os.cpus().length} cores), Chromium ${browser.version()}; the worker told of ${cores} cores; best of ${rounds} rounds of ${steps} steps`);
  console.log('ms a step (threads: TF.js / ours)');
  const held = pytorchIsa ? ` (${pytorchIsa})` : '';
  const pytorchColumns = pytorch ? [`PyTorch${held} on 1`, `PyTorch${held} on now's threads`, 'one thread / PyTorch on 1', 'now / PyTorch on as many'] : [];
  console.log(alignedTable(['model', ...VARIANTS.map((variant) => variant.name), 'now / before', 'now / one thread', 'every core / one thread', ...pytorchColumns], body, 1));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
