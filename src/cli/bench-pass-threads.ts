/**
 * What our kernel threads give a convolution's passes, each pass alone: the default models'
 * layers (conv-ae's, the GAN's, the energy model's, at batch 64, three of them at small
 * batches too) and two of the speed issue's, forward, input gradient and filter gradient,
 * timed on one thread, then on a pool of `--threads` Node worker_threads with a pass's
 * products cut into bands (as before image bands), then with its images cut (heap.ts,
 * eachRun), by turns, each the best of `--rounds`.
 * TF.js's WASM backend in Node has one thread and a heap that is not shared (tfjs#3830), so
 * the passes run on a stand-in for its threaded build (shared-heap-backend.ts), as the tests
 * do: the same kernels and passes the browser runs. A whole step in Chromium is
 * `npm run bench:threads`; this is the passes alone, where a step's other work cannot hide them.
 *
 *   npm run bench:pass-threads [-- --threads N] [--rounds N] [--only TEXT]
 */
import { UsageError } from './args';
import { alignedTable } from './bench-tables';
import { allowRelaxedSimd } from './node-backend';
import { seededValues, sharedHeapBackend, startNodeThread } from './shared-heap-backend';
import { SimdConvolutions, type ConvolutionGeometry } from '../core/wasm-simd/convolution';
import { heapKernelsFor, startKernelThreads, stopKernelThreads, useImageBands } from '../core/wasm-simd/heap';

type Heap = ReturnType<typeof sharedHeapBackend>;

interface Layer {
  name: string;
  batch: number;
  size: number;
  inChannels: number;
  outChannels: number;
  filter: number;
  stride: number;
}

const LAYERS: Layer[] = [
  { name: "conv-ae's 3x3, 16 -> 16, 28 x 28", batch: 64, size: 28, inChannels: 16, outChannels: 16, filter: 3, stride: 1 },
  { name: '3x3, 64 -> 64, 28 x 28, batch 16', batch: 16, size: 28, inChannels: 64, outChannels: 64, filter: 3, stride: 1 },
  { name: '5x5, 16 -> 16, 28 x 28, batch 16', batch: 16, size: 28, inChannels: 16, outChannels: 16, filter: 5, stride: 1 },
  { name: "GAN's D, 28 -> 14, 1 -> 32, stride 2", batch: 64, size: 28, inChannels: 1, outChannels: 32, filter: 3, stride: 2 },
  { name: "GAN's D, 14 -> 7, 32 -> 64, stride 2", batch: 64, size: 14, inChannels: 32, outChannels: 64, filter: 3, stride: 2 },
  { name: "GAN's G, 14 x 14, 64 -> 32", batch: 64, size: 14, inChannels: 64, outChannels: 32, filter: 3, stride: 1 },
  { name: "GAN's G, 28 x 28, 32 -> 1", batch: 64, size: 28, inChannels: 32, outChannels: 1, filter: 3, stride: 1 },
  { name: "EBM's 28 -> 14, 1 -> 16, stride 2", batch: 64, size: 28, inChannels: 1, outChannels: 16, filter: 3, stride: 2 },
  { name: "EBM's 14 -> 7, 16 -> 32, stride 2", batch: 64, size: 14, inChannels: 16, outChannels: 32, filter: 3, stride: 2 },
  { name: "EBM's 7 -> 4, 32 -> 64, stride 2", batch: 64, size: 7, inChannels: 32, outChannels: 64, filter: 3, stride: 2 },
  // small batches (the page's batch size goes down to 1): passes under the image bands' thresholds
  { name: "GAN's D, 14 -> 7, 32 -> 64, stride 2, batch 4", batch: 4, size: 14, inChannels: 32, outChannels: 64, filter: 3, stride: 2 },
  { name: "EBM's 7 -> 4, 32 -> 64, stride 2, batch 8", batch: 8, size: 7, inChannels: 32, outChannels: 64, filter: 3, stride: 2 },
  { name: "EBM's 28 -> 14, 1 -> 16, stride 2, batch 16", batch: 16, size: 28, inChannels: 1, outChannels: 16, filter: 3, stride: 2 },
];

const PASSES = ['forward', 'input gradient', 'filter gradient'] as const;

const USAGE = 'usage: npm run bench:pass-threads -- [--threads N (2 or more)] [--rounds N] [--only TEXT (layers whose name holds it)]';

function parseOptions(argv: string[]): { threads: number; rounds: number; only: string } {
  const options = { threads: 2, rounds: 5, only: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const count = Number(value);
    if (flag === '--threads' && Number.isInteger(count) && count >= 2) options.threads = count;
    else if (flag === '--rounds' && Number.isInteger(count) && count >= 1) options.rounds = count;
    else if (flag === '--only' && value) options.only = value;
    else throw new UsageError(`${USAGE} (not ${flag}${value === undefined ? '' : ` ${value}`})`);
  }
  return options;
}

/** 'same' padding's geometry (TF.js's: at stride 2 the odd row and column of padding after the image). */
function geometryOf(l: Layer): ConvolutionGeometry {
  const out = Math.ceil(l.size / l.stride);
  const pad = Math.floor(Math.max((out - 1) * l.stride + l.filter - l.size, 0) / 2);
  return { batch: l.batch, height: l.size, width: l.size, inChannels: l.inChannels, outH: out, outW: out, outChannels: l.outChannels, filterH: l.filter, filterW: l.filter, strideH: l.stride, strideW: l.stride, padTop: pad, padLeft: pad };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // the kernels the browsers run, with relaxed SIMD's multiply-add (Node 20 needs the flag before any module is made)
  allowRelaxedSimd();
  const one = sharedHeapBackend(8192);
  const many = sharedHeapBackend(8192);
  const started = await startKernelThreads(many.backend, options.threads, startNodeThread);
  try {
    measure(options, one, many, started);
  } finally {
    // the pool's workers would keep the process alive
    stopKernelThreads(many.backend);
  }
}

function measure(options: { rounds: number; only: string }, one: Heap, many: Heap, started: number): void {
  const passesOne = heapKernelsFor(SimdConvolutions, one.backend)!;
  const passesMany = heapKernelsFor(SimdConvolutions, many.backend)!;
  const rows: string[][] = [];
  for (const layer of LAYERS.filter((l) => l.name.includes(options.only))) {
    const g = geometryOf(layer);
    const inputs = (heap: Heap) => ({
      x: heap.place([g.batch, g.height, g.width, g.inChannels], seededValues(g.batch * g.height * g.width * g.inChannels, 3)),
      filter: heap.place([g.filterH, g.filterW, g.inChannels, g.outChannels], seededValues(g.filterH * g.filterW * g.inChannels * g.outChannels, 5)),
      dy: heap.place([g.batch, g.outH, g.outW, g.outChannels], seededValues(g.batch * g.outH * g.outW * g.outChannels, 9)),
    });
    const [onOne, onMany] = [inputs(one), inputs(many)];
    for (const pass of PASSES) {
      const run = (passes: SimdConvolutions, { x, filter, dy }: typeof onOne) => {
        if (pass === 'forward') passes.forward(x, filter, g);
        else if (pass === 'input gradient') passes.inputGradient(dy, filter, g);
        else passes.filterGradient(x, dy, g);
      };
      // the mean of 8 passes, after one that makes the pass's scratch and tables; outputs from then on in one place on each heap
      const time = (passes: SimdConvolutions, heap: Heap, inputs: typeof onOne) => {
        run(passes, inputs);
        const mark = heap.mark();
        const start = performance.now();
        for (let i = 0; i < 8; i++) {
          run(passes, inputs);
          heap.release(mark);
        }
        return (performance.now() - start) / 8;
      };
      const best = { one: Infinity, products: Infinity, images: Infinity };
      for (let round = 0; round < options.rounds; round++) {
        best.one = Math.min(best.one, time(passesOne, one, onOne));
        useImageBands(false);
        best.products = Math.min(best.products, time(passesMany, many, onMany));
        useImageBands(true);
        best.images = Math.min(best.images, time(passesMany, many, onMany));
      }
      rows.push([layer.name, pass, best.one.toFixed(3), `${(best.products / best.one).toFixed(2)}x`, `${(best.images / best.one).toFixed(2)}x`]);
    }
  }
  console.log(`Each pass alone: one thread, then ${started} threads by turns (best of ${options.rounds} rounds of 8 passes)`);
  console.log(alignedTable(['layer (batch 64 unless named)', 'pass', 'one thread, ms', `${started} threads, products cut`, `${started} threads, images cut (now)`], rows, 2));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
