/**
 * The convolution layers the speed issue names, ours on WASM against PyTorch's on the CPU at
 * one thread each: 3x3 and 5x5 filters, 16 and 64 channels in and out, 28 x 28 and 32 x 32
 * inputs, batches of 16 and 128, stride 1, 'same' padding. For each layer, the three passes a
 * training step takes (forward, input gradient, filter gradient), each the best of three
 * timings; the whole grid is timed `--rounds` times, ours and PyTorch's in turn, and each
 * side's fastest kept, so that a machine whose load drifts weighs on both: three times by
 * default, since on a shared 2-core host two read one row 1.65x where the sittings before and
 * after read it 1.18x and 1.25x (our side slow in both rounds, the host loaded for a minute).
 * A model's step (npm run bench) adds what lies around its layers; this is the layers alone.
 *
 *   npm run bench:layers [-- --rounds N] [--pytorch-isa avx2]
 */
import * as tf from '@tensorflow/tfjs';
import { UsageError } from './args';
import { alignedTable } from './bench-tables';
import { bestTime } from './best-time';
import { allowRelaxedSimd, useNodeBackend } from './node-backend';
import { wasmPeaks } from './peak-flops';
import { PYTORCH_ISAS, pytorchIsaEnv, type PyTorchIsa } from './pytorch-isa';
import { timePyTorchLayers, type LayerShape, type PassTimes } from './pytorch-layers';
import { pythonWithTorch } from './pytorch-timing';

const GRID: LayerShape[] = [3, 5].flatMap((kernel) => [16, 64].flatMap((channels) => [28, 32].flatMap((size) => [16, 128].map((batch) => ({ batch, size, channels, kernel })))));

/** Each pass repeated to about this much arithmetic, so that small layers are timed over tens of ms. */
const LEAST_FLOPS = 1.5e9;

/** One pass's arithmetic, as a direct convolution does it: 2 per multiply-add. */
const passFlops = ({ batch, size, channels, kernel }: LayerShape) => 2 * batch * size * size * channels * channels * kernel * kernel;

function parseOptions(argv: string[]): { rounds: number; isa?: PyTorchIsa } {
  const options: { rounds: number; isa?: PyTorchIsa } = { rounds: 3 };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--rounds' && Number.isInteger(Number(value)) && Number(value) >= 1) options.rounds = Number(value);
    else if (flag === '--pytorch-isa' && (PYTORCH_ISAS as readonly string[]).includes(value)) options.isa = value as PyTorchIsa;
    else throw new UsageError(`usage: npm run bench:layers -- [--rounds N] [--pytorch-isa ${PYTORCH_ISAS.join('|')}] (not ${flag})`);
    i += 1;
  }
  return options;
}

/** Our three passes of one layer, through the kernels TF.js dispatches to (ours on WASM). */
function timeOurs(shape: LayerShape): PassTimes {
  const { batch, size, channels, kernel } = shape;
  const x = tf.randomNormal([batch, size, size, channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const filter = tf.randomNormal([kernel, kernel, channels, channels], 0, 1, 'float32', 2) as tf.Tensor4D;
  const convolution = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap;
  const dy = tf.randomNormal(x.shape, 0, 1, 'float32', 3) as tf.Tensor4D;
  const reps = Math.max(1, Math.round(LEAST_FLOPS / passFlops(shape)));
  try {
    return {
      forward: bestTime(() => tf.engine().runKernel('Conv2D', { x, filter }, convolution) as tf.Tensor, reps),
      inputGradient: bestTime(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...convolution, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor, reps),
      filterGradient: bestTime(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...convolution, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor, reps),
    };
  } finally {
    tf.dispose([x, filter, dy]);
  }
}

const total = (times: PassTimes) => times.forward + times.inputGradient + times.filterGradient;
const faster = (a: PassTimes | undefined, b: PassTimes): PassTimes => (a && total(a) <= total(b) ? a : b);

function gridTable(ours: PassTimes[], pytorch: PassTimes[] | undefined): string {
  const header = ['filter', 'channels', 'input', 'batch', 'GFLOP', 'WASM ms (fwd + dx + dW)', 'WASM GFLOP/s', 'PyTorch ms', 'PyTorch GFLOP/s', 'WASM / PyTorch'];
  const body = GRID.map((shape, i) => {
    const gflop = (3 * passFlops(shape)) / 1e9;
    const mine = ours[i];
    const theirs = pytorch?.[i];
    const split = [mine.forward, mine.inputGradient, mine.filterGradient].map((ms) => ms.toFixed(1)).join(' + ');
    return [
      `${shape.kernel}x${shape.kernel}`, `${shape.channels} -> ${shape.channels}`, `${shape.size} x ${shape.size}`, String(shape.batch), gflop.toFixed(2),
      `${total(mine).toFixed(1)} (${split})`, (gflop * 1000 / total(mine)).toFixed(1),
      theirs ? total(theirs).toFixed(1) : '-', theirs ? (gflop * 1000 / total(theirs)).toFixed(1) : '-', theirs ? `${(total(mine) / total(theirs)).toFixed(2)}x` : '-',
    ];
  });
  return alignedTable(header, body, 3);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  allowRelaxedSimd(); // as the page and the benchmark run
  await useNodeBackend('wasm');
  const python = pythonWithTorch();
  let ours: PassTimes[] = [];
  let pytorch: PassTimes[] | undefined;
  for (let round = 1; round <= options.rounds; round += 1) {
    console.log(`[bench:layers] round ${round} of ${options.rounds}: WASM`);
    ours = GRID.map((shape, i) => faster(ours[i], timeOurs(shape)));
    if (!python) continue;
    console.log(`[bench:layers] round ${round} of ${options.rounds}: PyTorch${options.isa ? ` held to ${options.isa}` : ''}`);
    const times = timePyTorchLayers(python, GRID, 1, LEAST_FLOPS, pytorchIsaEnv(options.isa));
    pytorch = times.map((time, i) => faster(pytorch?.[i], time));
  }
  const peaks = wasmPeaks();
  console.log(`\nConvolution layers, 1 thread; our matrix-product peak ${(peaks.fused ?? peaks.plain).toFixed(0)} GFLOP/s${python ? '' : ' (no PyTorch found: python3 with torch)'}${options.isa ? `; PyTorch held to ${options.isa}` : ''}`);
  console.log(gridTable(ours, pytorch));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
