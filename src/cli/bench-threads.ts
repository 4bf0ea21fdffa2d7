/**
 * What threads are worth on WASM in the browser, in turns, one sitting: each model's
 * training step in headless Chromium (the benchmark's page, its worker as the app's) on
 *   - one thread (TF.js's and ours);
 *   - TF.js's threads, ours on one: how the app ran before our products took threads
 *     (src/core/wasm-simd/kernel-threads.ts): where TF.js has more threads than ours, its
 *     XNNPACK runs the forward convolutions and products;
 *   - TF.js's threads, ours on as many: how the app runs now;
 *   - ours on every real core, TF.js's as it starts (half of them): what a second thread
 *     of ours is worth where TF.js keeps one (a 2-core machine).
 * TF.js starts half as many threads as the worker's navigator reports cores. `--cores N`
 * makes the worker report N (a stand-in for a bigger machine: on a 2-core host, 4 cores
 * give TF.js two threads, on two real cores). Rounds run in turns; each row keeps its best.
 * `--pytorch` times the same step in PyTorch (the run's exported project, ./pytorch-timing.ts)
 * in the same turns, on one thread and on every logical core, for the ratio at each count:
 * one thread against PyTorch's on one, and the app as it runs now against PyTorch on every core.
 *
 *   npm run bench:threads -- [--models ebm,gan] [--cores 4] [--steps 15] [--rounds 2] [--no-build] [--pytorch] [--pytorch-isa avx2]
 */
import os from 'node:os';
import { chromium } from 'playwright';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, findChromium, HOW_TO_GET_CHROMIUM } from '../../e2e/chromium';
import type { BrowserBenchResult } from '../bench/protocol';
import { defaultConfig } from '../core/config';
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
  { name: "TF.js's threads, ours on as many (now)", query: (cores) => `&cores=${cores}` },
  { name: 'ours on every real core', query: () => `&kernelThreads=${os.cpus().length}` },
];

/** The model's run at its defaults, as PyTorch's side takes it: its config and initial weights (made in Node, on TF.js's CPU backend). */
async function exportedRun(model: string): Promise<{ config: ReturnType<typeof defaultConfig>; checkpoint?: Checkpoint }> {
  await useNodeBackend('cpu');
  const config = defaultConfig(model, DATASET);
  const session = await createSession(config, loadNodeDataset(DATASET));
  try {
    return { config, checkpoint: await session.checkpoint() };
  } finally {
    session.dispose();
  }
}

async function main(): Promise<void> {
  const { models, cores, steps, rounds, build: building, pytorch, pytorchIsa } = parseThreadOptions(process.argv.slice(2), os.cpus().length);
  const python = pytorch ? pythonWithTorch() : undefined;
  if (pytorch && !python) throw new Error('--pytorch needs python3 with torch and numpy (Debian: apt install python3-torch)');
  // PyTorch on one thread, then on every core (logical, as OMP_NUM_THREADS counts them)
  const pytorchThreads = python ? [1, os.cpus().length] : [];
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
      const run = python ? await exportedRun(model) : undefined;
      const pytorchBest = pytorchThreads.map(() => ({ ms: Infinity, note: '' }));
      for (let round = 0; round < rounds; round++) {
        for (const [i, threads] of pytorchThreads.entries()) {
          if (!run?.checkpoint) pytorchBest[i].note = 'the model keeps no state to export';
          else {
            const timing = await timePyTorch(run.config, run.checkpoint, steps, threads, python!, pytorchIsaEnv(pytorchIsa));
            console.error(`[threads] ${model}, PyTorch on ${threads}: ${timing.msPerStep ? `${timing.msPerStep.toFixed(1)} ms a step` : timing.note}`);
            pytorchBest[i] = { ms: Math.min(pytorchBest[i].ms, timing.msPerStep ?? Infinity), note: timing.note };
          }
        }
        for (const [i, variant] of VARIANTS.entries()) {
          const result = await benchPageResult(browser, `${base}bench.html?backend=wasm&model=${model}&dataset=${DATASET}&steps=${steps}&warmup=3${variant.query(cores)}`, model, 900);
          const ms = result.status === 'ok' ? (result.msPerStep ?? Infinity) : Infinity;
          console.error(`[threads] ${model}, ${variant.name}: ${result.status === 'ok' ? `${ms.toFixed(1)} ms a step (TF.js on ${result.wasmThreads}, ours on ${result.kernelThreads})` : `${result.status}: ${result.reason}`}`);
          if (ms < best[i].ms) best[i] = { ms, result };
        }
      }
      const [one, before, now, every] = best;
      const cell = ({ ms, result }: (typeof best)[number]) => (result ? `${ms.toFixed(1)} (${result.wasmThreads ?? '?'} / ${result.kernelThreads ?? '?'})` : 'failed');
      const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : '-');
      const row = [model, cell(one), cell(before), cell(now), cell(every), ratio(now.ms, before.ms), ratio(now.ms, one.ms), ratio(every.ms, one.ms)];
      if (python) {
        row.push(...pytorchBest.map(({ ms, note }) => (Number.isFinite(ms) ? ms.toFixed(1) : note || 'failed')));
        row.push(ratio(one.ms, pytorchBest[0].ms), ratio(now.ms, pytorchBest[1].ms));
      }
      body.push(row);
    }
  } finally {
    await browser.close().catch(() => {});
    await server.close().catch(() => {});
  }
  console.log(`\n${os.cpus()[0]?.model.trim()} (${os.cpus().length} cores), Chromium ${browser.version()}; the worker told of ${cores} cores; best of ${rounds} rounds of ${steps} steps`);
  console.log('ms a step (threads: TF.js / ours)');
  const held = pytorchIsa ? ` (${pytorchIsa})` : '';
  const pytorchColumns = pytorch ? [`PyTorch${held} on 1`, `PyTorch${held} on ${os.cpus().length}`, 'one thread / PyTorch on 1', `now / PyTorch on ${os.cpus().length}`] : [];
  console.log(alignedTable(['model', ...VARIANTS.map((variant) => variant.name), 'now / before', 'now / one thread', 'every core / one thread', ...pytorchColumns], body, 1));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
