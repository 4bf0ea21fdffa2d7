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
 *
 *   npm run bench:threads -- [--models ebm,gan] [--cores 4] [--steps 15] [--rounds 2] [--no-build]
 */
import os from 'node:os';
import { chromium } from 'playwright';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, findChromium, HOW_TO_GET_CHROMIUM } from '../../e2e/chromium';
import type { BrowserBenchResult } from '../bench/protocol';
import { benchPageResult } from './bench-browser';
import { alignedTable } from './bench-tables';
import { DATASET, ROOT } from './bench-options';

const CONVOLUTIONAL = ['conv-ae', 'gan', 'pixelcnn', 'pixelcnnpp', 'pixelrnn', 'ebm'];

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

const USAGE = 'usage: npm run bench:threads -- [--models ebm,gan] [--cores N] [--steps N] [--rounds N] [--no-build]';

interface ThreadOptions {
  models: string[];
  cores: number;
  steps: number;
  rounds: number;
  build: boolean;
}

/** The options, or a usage error for any flag it does not know or a count that is not a positive whole number. */
function parseThreadOptions(argv: string[], machineCores: number): ThreadOptions {
  const options: ThreadOptions = { models: CONVOLUTIONAL, cores: machineCores, steps: 15, rounds: 2, build: true };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const count = Number(value);
    if (flag === '--no-build') options.build = false;
    else if (flag === '--models' && value) [options.models, i] = [value.split(',').filter(Boolean), i + 1];
    else if ((flag === '--cores' || flag === '--steps' || flag === '--rounds') && Number.isInteger(count) && count >= 1) [options[flag.slice(2) as 'cores' | 'steps' | 'rounds'], i] = [count, i + 1];
    else throw new Error(`${USAGE} (not ${flag}${value === undefined ? '' : ` ${value}`})`);
  }
  return options;
}

async function main(): Promise<void> {
  const { models, cores, steps, rounds, build: building } = parseThreadOptions(process.argv.slice(2), os.cpus().length);
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
      for (let round = 0; round < rounds; round++) {
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
      body.push([model, cell(one), cell(before), cell(now), cell(every), ratio(now.ms, before.ms), ratio(now.ms, one.ms), ratio(every.ms, one.ms)]);
    }
  } finally {
    await browser.close().catch(() => {});
    await server.close().catch(() => {});
  }
  console.log(`\n${os.cpus()[0]?.model.trim()} (${os.cpus().length} cores), Chromium ${browser.version()}; the worker told of ${cores} cores; best of ${rounds} rounds of ${steps} steps`);
  console.log('ms a step (threads: TF.js / ours)');
  console.log(alignedTable(['model', ...VARIANTS.map((variant) => variant.name), 'now / before', 'now / one thread', 'every core / one thread'], body, 1));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
