/**
 * Each WASM convolution pass of the default models' layers, side by side in one process with
 * each of our shortcuts on and off: the patches read in place (src/core/wasm-simd/
 * patch-tables.ts) against the image-to-columns copy and col2im, Winograd's rows
 * (src/core/wasm-simd/winograd.ts) against the direct convolution, its columns in pairs
 * (F(2, 3), F(2, 2)), in fours where they apply (F(4, 3), F(4, 5)), the rows in fours too
 * (src/core/wasm-simd/winograd-quad-rows.ts), strided passes by border classes
 * (src/core/wasm-simd/strided.ts) against the patch matrix, then by Winograd over their phases
 * where that pays (src/core/wasm-simd/strided-winograd.ts), and last of all forward passes over
 * maps grown to fours (winograd-quad-rows.ts, grownQuadForward) and the narrow layers' own ways
 * (convolution.ts: narrowFilterGradient, and patchDot's four pixels at once). Best of two
 * rounds of a few repetitions each; the settings alternate, so a machine whose load drifts
 * affects all.
 *
 *   npm run bench:convolutions [-- NAME]    (NAME: only the layers whose name holds it, as "7x7")
 */
import * as tf from '@tensorflow/tfjs';
import { bestTime as time } from './best-time';
import { allowRelaxedSimd, useNodeBackend } from './node-backend';
import { useNarrowFilterGradient, usePatchesInPlace, useQuadDots } from '../core/wasm-simd/convolution';
import { useBorderClasses } from '../core/wasm-simd/strided';
import { usePhaseWinograd } from '../core/wasm-simd/strided-winograd';
import { useWinograd } from '../core/wasm-simd/winograd';
import { useQuadColumns, useWinogradColumns } from '../core/wasm-simd/winograd-columns';
import { useGrownQuads, useQuadRows } from '../core/wasm-simd/winograd-quad-rows';

type Padding = 'same' | tf.backend_util.ExplicitPadding;

interface Layer {
  name: string;
  input: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: Padding;
  /** A PixelCNN's masked filter cut at its centre row: that row's right half zero, and kept apart from the rows above (winograd.ts). */
  masked?: boolean;
}

const LAYERS: Layer[] = [
  { name: 'PixelCNN 5x5 masked (3x5), 32 -> 32, batch 32', input: [32, 28, 28, 32], filter: [3, 5, 32, 32], stride: 1, pad: [[0, 0], [2, 0], [2, 2], [0, 0]], masked: true },
  { name: 'PixelCNN 7x7 masked (4x7, its kernel option 7), 32 -> 32, batch 32', input: [32, 28, 28, 32], filter: [4, 7, 32, 32], stride: 1, pad: [[0, 0], [3, 0], [3, 3], [0, 0]], masked: true },
  { name: '5x5, 32 -> 32, batch 32', input: [32, 28, 28, 32], filter: [5, 5, 32, 32], stride: 1, pad: 'same' },
  { name: 'PixelCNN++ down-shifted 2x3, 16 -> 32, batch 16', input: [16, 28, 28, 16], filter: [2, 3, 16, 32], stride: 1, pad: [[0, 0], [1, 0], [1, 1], [0, 0]] },
  { name: 'PixelCNN++ down-right-shifted 2x2, 16 -> 16, batch 16', input: [16, 28, 28, 16], filter: [2, 2, 16, 16], stride: 1, pad: [[0, 0], [1, 0], [1, 0], [0, 0]] },
  { name: 'conv-ae 3x3, 32 -> 32, 28 x 28', input: [64, 28, 28, 32], filter: [3, 3, 32, 32], stride: 1, pad: 'same' },
  { name: 'conv-ae 3x3, 32 -> 16, 14 x 14', input: [64, 14, 14, 32], filter: [3, 3, 32, 16], stride: 1, pad: 'same' },
  { name: 'EBM first layer 3x3 stride 2, 1 -> 16', input: [64, 28, 28, 1], filter: [3, 3, 1, 16], stride: 2, pad: 'same' },
  { name: 'EBM middle layer 3x3 stride 2, 16 -> 32, 14 x 14', input: [64, 14, 14, 16], filter: [3, 3, 16, 32], stride: 2, pad: 'same' },
  { name: 'EBM last layer 3x3 stride 2, 32 -> 64, 7 x 7', input: [64, 7, 7, 32], filter: [3, 3, 32, 64], stride: 2, pad: 'same' },
  { name: 'GAN discriminator 3x3 stride 2, 32 -> 64, 14 x 14', input: [64, 14, 14, 32], filter: [3, 3, 32, 64], stride: 2, pad: 'same' },
  { name: 'conv-ae first layer 3x3, 1 -> 32', input: [64, 28, 28, 1], filter: [3, 3, 1, 32], stride: 1, pad: 'same' },
  { name: 'GAN generator 3x3, 64 -> 32, 14 x 14', input: [64, 14, 14, 64], filter: [3, 3, 64, 32], stride: 1, pad: 'same' },
  { name: 'GAN generator last layer 3x3, 32 -> 1, 28 x 28', input: [64, 28, 28, 32], filter: [3, 3, 32, 1], stride: 1, pad: 'same' },
  { name: 'conv-ae last layer 3x3, 16 -> 1, 28 x 28', input: [64, 28, 28, 16], filter: [3, 3, 16, 1], stride: 1, pad: 'same' },
];

const SETTINGS = [
  { name: 'copied (im2col, col2im), direct', inPlace: false, winograd: false, columns: false, quads: false, quadRows: false, borders: false, phases: false, grown: false, narrow: false },
  { name: 'in place, direct', inPlace: true, winograd: false, columns: false, quads: false, quadRows: false, borders: false, phases: false, grown: false, narrow: false },
  { name: 'in place, Winograd rows', inPlace: true, winograd: true, columns: false, quads: false, quadRows: false, borders: false, phases: false, grown: false, narrow: false },
  { name: 'rows, columns in pairs', inPlace: true, winograd: true, columns: true, quads: false, quadRows: false, borders: false, phases: false, grown: false, narrow: false },
  { name: 'rows, columns in fours', inPlace: true, winograd: true, columns: true, quads: true, quadRows: false, borders: false, phases: false, grown: false, narrow: false },
  { name: 'rows in fours too', inPlace: true, winograd: true, columns: true, quads: true, quadRows: true, borders: false, phases: false, grown: false, narrow: false },
  { name: 'all, strided by border classes', inPlace: true, winograd: true, columns: true, quads: true, quadRows: true, borders: true, phases: false, grown: false, narrow: false },
  { name: 'strided by phases where they pay', inPlace: true, winograd: true, columns: true, quads: true, quadRows: true, borders: true, phases: true, grown: false, narrow: false },
  { name: 'grown maps, narrow layers too', inPlace: true, winograd: true, columns: true, quads: true, quadRows: true, borders: true, phases: true, grown: true, narrow: true },
];

async function main(): Promise<void> {
  allowRelaxedSimd(); // as the page and the benchmark run
  await useNodeBackend('wasm');
  const only = process.argv[2];
  for (const layer of LAYERS.filter((candidate) => !only || candidate.name.includes(only))) {
    const x = tf.randomNormal(layer.input, 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.tidy(() => {
      const values = tf.randomNormal(layer.filter, 0, 1, 'float32', 2) as tf.Tensor4D;
      if (!layer.masked) return values;
      // the centre row's columns right of the centre masked
      const [rows, columns] = layer.filter;
      const mask = tf.buffer([rows, columns, 1, 1]);
      for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) mask.set(r < rows - 1 || c <= (columns - 1) / 2 ? 1 : 0, r, c, 0, 0);
      return values.mul(mask.toTensor()) as tf.Tensor4D;
    });
    const convolution = { strides: [layer.stride, layer.stride], pad: layer.pad, dataFormat: 'NHWC', dilations: [1, 1], lastRowApart: layer.masked === true };
    const y = tf.engine().runKernel('Conv2D', { x, filter }, convolution as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3) as tf.Tensor4D;
    const passes: Array<[string, () => tf.Tensor]> = [
      ['forward', () => tf.engine().runKernel('Conv2D', { x, filter }, convolution as unknown as tf.NamedAttrMap) as tf.Tensor],
      ['input gradient', () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...convolution, inputShape: layer.input } as unknown as tf.NamedAttrMap) as tf.Tensor],
      ['filter gradient', () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...convolution, filterShape: layer.filter } as unknown as tf.NamedAttrMap) as tf.Tensor],
    ];
    const reps = Math.max(3, Math.round(2e8 / (y.size * layer.filter[0] * layer.filter[1] * layer.filter[2])));
    console.log(`\n${layer.name}: input [${layer.input}], filter [${layer.filter}], stride ${layer.stride}`);
    console.log(['pass'.padEnd(16), ...SETTINGS.map((setting) => setting.name.padStart(33))].join(''));
    for (const [name, run] of passes) {
      const ms = SETTINGS.map(() => Infinity);
      // alternating settings, twice over
      for (let turn = 0; turn < 2; turn++) {
        SETTINGS.forEach((setting, i) => {
          usePatchesInPlace(setting.inPlace);
          useWinograd(setting.winograd);
          useWinogradColumns(setting.columns);
          useQuadColumns(setting.quads);
          useQuadRows(setting.quadRows);
          useBorderClasses(setting.borders);
          usePhaseWinograd(setting.phases);
          useGrownQuads(setting.grown);
          useNarrowFilterGradient(setting.narrow);
          useQuadDots(setting.narrow);
          ms[i] = Math.min(ms[i], time(run, reps));
        });
      }
      console.log([name.padEnd(16), ...ms.map((value) => `${value.toFixed(2)} ms`.padStart(33))].join(''));
    }
    tf.dispose([x, filter, y, dy]);
  }
  usePatchesInPlace(true);
  useWinograd(true);
  useWinogradColumns(true);
  useQuadColumns(true);
  useQuadRows(true);
  useBorderClasses(true);
  usePhaseWinograd(true);
  useGrownQuads(true);
  useNarrowFilterGradient(true);
  useQuadDots(true);
}

void main();
