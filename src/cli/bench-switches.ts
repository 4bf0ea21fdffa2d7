/**
 * One of our WASM shortcuts on and off, for whole training steps of one model, side by side
 * in one process: steps alternate between the two settings (in turn ABBA, so that a drift in
 * the machine's load falls on both alike), and each side's best and median step are compared.
 * A shared machine's load moves by 20-30% within minutes; two runs of `npm run bench` minutes
 * apart cannot show a change of 5%, this can.
 *
 *   npm run bench:switches -- MODEL SWITCH [ROUNDS]    (say: ebm border-classes 12)
 *
 * SWITCH is one of the names below; ROUNDS pairs of steps (10 by default), after two warm-up
 * steps. Default settings, MNIST, batch 64, one thread.
 */
import { allowRelaxedSimd, useNodeBackend } from './node-backend';
import { loadNodeDataset } from './node-datasets';
import { defaultConfig } from '../core/config';
import { createSession } from '../core/training/session';
import { useNarrowFilterGradient, usePatchesInPlace, useQuadDots } from '../core/wasm-simd/convolution';
import { useSimdKernels } from '../core/wasm-simd/register';
import { useEluKernel } from '../core/wasm-heap-activations';
import { useBatchNormKernel } from '../core/wasm-heap-batch-norm';
import { useBorderClasses } from '../core/wasm-simd/strided';
import { usePhaseWinograd } from '../core/wasm-simd/strided-winograd';
import { useWinograd } from '../core/wasm-simd/winograd';
import { useQuadColumns, useWinogradColumns } from '../core/wasm-simd/winograd-columns';
import { useGrownQuads, useQuadRows, useRowsInPlace } from '../core/wasm-simd/winograd-quad-rows';

/** Each shortcut's switch (on is the default). */
const SWITCHES: Record<string, (on: boolean) => unknown> = {
  'simd-kernels': useSimdKernels,
  'patches-in-place': usePatchesInPlace,
  winograd: useWinograd,
  'winograd-columns': (on) => useWinogradColumns(on),
  'quad-columns': useQuadColumns,
  'quad-rows': useQuadRows,
  'rows-in-place': useRowsInPlace,
  'border-classes': useBorderClasses,
  'phase-winograd': usePhaseWinograd,
  'narrow-filter-gradient': useNarrowFilterGradient,
  'quad-dots': useQuadDots,
  'grown-quads': useGrownQuads,
  'batch-norm': useBatchNormKernel,
  elu: useEluKernel,
};

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

async function main(): Promise<void> {
  const [model, name, rounds = '10'] = process.argv.slice(2);
  const toggle = SWITCHES[name];
  if (!model || !toggle) {
    console.error(`usage: npm run bench:switches -- MODEL SWITCH [ROUNDS], SWITCH one of ${Object.keys(SWITCHES).join(', ')}`);
    process.exit(2);
  }
  allowRelaxedSimd(); // as the page and the benchmark run
  await useNodeBackend('wasm');
  const session = await createSession(defaultConfig(model, 'mnist'), loadNodeDataset('mnist'));
  const step = async () => {
    const start = performance.now();
    session.dispatch();
    await session.readMetrics();
    return performance.now() - start;
  };
  for (let i = 0; i < 2; i++) await step();
  const times: Record<'on' | 'off', number[]> = { on: [], off: [] };
  for (let round = 0; round < Number(rounds); round++) {
    for (const on of round % 2 ? [true, false] : [false, true]) {
      toggle(on);
      times[on ? 'on' : 'off'].push(await step());
    }
  }
  toggle(true);
  const [off, on] = [sorted(times.off), sorted(times.on)];
  const [best, median] = [(values: number[]) => values[0], (values: number[]) => values[values.length >> 1]];
  console.log(`${model}, ${name} off: best ${best(off).toFixed(1)} ms, median ${median(off).toFixed(1)}; on: best ${best(on).toFixed(1)}, median ${median(on).toFixed(1)}`);
  console.log(`on / off: ${(best(on) / best(off)).toFixed(3)} best against best, ${(median(on) / median(off)).toFixed(3)} median against median (${rounds} steps each)`);
  session.dispose();
}

void main();
