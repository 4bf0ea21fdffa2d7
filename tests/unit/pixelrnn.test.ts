/**
 * PixelRNN: the skew against its definition, causality by gradients for the Row LSTM and
 * the Diagonal BiLSTM (grey and colour, 8-bit and binary; the Diagonal BiLSTM also sees
 * every earlier value, the Row LSTM a triangle), the cropped and the cached samplers
 * against the naive one, a falling loss, valid samples, views, and no tensor leaks. All on
 * tiny networks.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/core/config';
import { gateMask } from '../../src/core/models/autoregressive/lstm-gates';
import type { Categories } from '../../src/core/models/autoregressive/pixel-likelihood';
import { PixelRnnNetwork, type RecurrentLayer } from '../../src/core/models/autoregressive/pixelrnn-network';
import { skew, unskew } from '../../src/core/models/autoregressive/skew';
import { createRandom } from '../../src/core/random';
import type { ImageGridPanel } from '../../src/core/views/panels';
import { heldOut, train } from './helpers';
import { checkCausality, expectFallingLoss, expectSamplersAgree, expectValidSamples, onWasmBackend, randomize, seesValueBefore, tinyConfig as tinyRun, withoutLeaks, type Shape } from './autoregressive-test-helpers';

onWasmBackend();

/** A tiny network with visible weights (randomize's), 12 units a layer: in fours, so that on WASM the LSTM cell is our kernel (src/core/wasm-heap-lstm.ts), and in threes, one group a colour. */
function network(shape: Shape, layer: RecurrentLayer, categories: Categories, scale = 1, layers = 2): PixelRnnNetwork {
  const net = new PixelRnnNetwork(shape, { layer, layers, units: 12, firstKernel: 3 }, categories, createRandom(5));
  randomize(net.variables, scale);
  return net;
}

const tinyConfig = (values: Record<string, number | string> = {}, dataset = 'mnist'): RunConfig =>
  tinyRun('pixelrnn', { units: 12, layers: 1, first_kernel: '3', batch: 4, lr: 0.01, ...values }, dataset);

describe('the skew', () => {
  it('shifts row r right by r, zeros elsewhere, and unskew undoes it (values and gradients)', async () => {
    const [batch, height, width, features] = [2, 3, 4, 2];
    const x = tf.randomNormal([batch, height, width, features], 0, 1, 'float32', 3) as tf.Tensor4D;
    const skewed = skew(x);
    expect(skewed.shape).toEqual([batch, height, width + height - 1, features]);
    const [s, v] = [await skewed.array(), await x.array()];
    for (let b = 0; b < batch; b++)
      for (let r = 0; r < height; r++)
        for (let j = 0; j < width + height - 1; j++) {
          const c = j - r;
          expect(s[b][r][j]).toEqual(c >= 0 && c < width ? v[b][r][c] : [0, 0]);
        }
    expect(Array.from(await unskew(skewed, width).data())).toEqual(Array.from(await x.data()));
    // the gradient of a weighted sum through skew and unskew is the weights themselves
    const weights = tf.randomNormal(x.shape, 0, 1, 'float32', 4);
    const gradient = tf.grad((input: tf.Tensor) => unskew(skew(input as tf.Tensor4D), width).mul(weights).sum())(x);
    expect(Array.from(await gradient.data())).toEqual(Array.from(await weights.data()));
    tf.dispose([x, skewed, weights, gradient]);
  });

  it('masks the gates by the colour group of their unit, all four alike', () => {
    // 1 x 3, 3 inputs (one per colour) -> 4 gates x 3 units, type B: the left column whole, the centre input group <= unit group
    const mask = gateMask(3, 3, 3, 'B', 3);
    const at = (column: number, input: number, output: number) => mask[(column * 3 + input) * 12 + output];
    for (let gate = 0; gate < 4; gate++) {
      for (let input = 0; input < 3; input++) {
        for (let unit = 0; unit < 3; unit++) {
          expect(at(0, input, gate * 3 + unit)).toBe(1);
          expect(at(1, input, gate * 3 + unit)).toBe(input <= unit ? 1 : 0);
          expect(at(2, input, gate * 3 + unit)).toBe(0);
        }
      }
    }
  });
});

describe('causality by gradients', () => {
  const cases: [string, RecurrentLayer, Shape, Categories][] = [
    ['Row LSTM, grey, 8-bit', 'row', [5, 6, 1], 256],
    ['Row LSTM, colour, binary', 'row', [4, 4, 3], 1],
    ['Diagonal BiLSTM, grey, binary', 'diagonal', [5, 6, 1], 1],
    ['Diagonal BiLSTM, colour, 8-bit', 'diagonal', [4, 4, 3], 256],
  ];
  it.each(cases)('%s: output i never depends on input i or later; it depends on the value before it, and the Diagonal BiLSTM on every earlier value but one', async (_, layer, shape, categories) => {
    const [width, channels] = shape.slice(1);
    const net = network(shape, layer, categories);
    await checkCausality(net, shape, { images: 6, categories }, (values, at) => {
      const { row, column, channel, i, order } = at;
      // the Diagonal BiLSTM's one blind value: the last of the row above, which the right-to-left sweep of that row never reads (its inputs
      // at a pixel exclude the pixel's own last value) and only the first layer's window reaches (its half-width: 1), near the row's end
      const blind = row > 0 && column < width - 1 - 1 ? order(row - 1, width - 1, channels - 1) : -1;
      if (layer === 'diagonal') {
        values.forEach((value, j) => {
          if (j < i && j === blind) expect(value, `d out(${row},${column},${channel}) / d in #${j}`).toBe(0);
          else if (j < i) expect(value, `out(${row},${column},${channel}) sees value #${j}`).toBeGreaterThan(0);
        });
      }
      seesValueBefore(values, at);
    });
    net.dispose();
  });

  it('the Row LSTM sees a triangle: with one layer, the state reaches one column further each row up', async () => {
    // 3x3 type-A (reach 1) and one Row LSTM layer: d rows up, the type-A window and then d - 1 steps of the 3-wide state-to-state window reach column c + d, no further
    const shape: Shape = [6, 9, 1];
    const net = network(shape, 'row', 1, 1, 1);
    const x = tf.randomNormal([6, ...shape], 0, 1, 'float32', 9) as tf.Tensor4D;
    const [row, column] = [5, 2];
    const gradient = tf.tidy(() => tf.grad((input: tf.Tensor) => net.logits(input as tf.Tensor4D).slice([0, row, column, 0, 0], [6, 1, 1, 1, 1]).sum())(x).abs().sum([0, 3]));
    const field = (await gradient.array()) as number[][];
    // the first layer reads row r - 1 up to column c + 1; the LSTM's state of row r - 1 reads row r - 2 up to one column further, and so on
    for (let up = 1; up <= row; up++) {
      const furthest = column + up;
      expect(field[row - up][furthest], `${up} up, column ${furthest}`).toBeGreaterThan(0);
      if (furthest + 1 < shape[1]) expect(field[row - up][furthest + 1], `${up} up, column ${furthest + 1}`).toBe(0);
    }
    net.dispose();
    tf.dispose([x, gradient]);
  });
});

describe('sampling', () => {
  const cases: [string, RecurrentLayer, Shape, Categories][] = [
    ['Row LSTM, grey, 8-bit', 'row', [6, 5, 1], 256],
    ['Row LSTM, colour, binary', 'row', [4, 5, 3], 1],
    ['Diagonal BiLSTM, grey, binary', 'diagonal', [5, 6, 1], 1],
    ['Diagonal BiLSTM, colour, 8-bit', 'diagonal', [4, 4, 3], 256],
  ];
  it.each(cases)('%s: the cropped and the cached sampler draw exactly what the naive one draws, completions too, and leak nothing', async (_, layer, shape, categories) => {
    const net = network(shape, layer, categories, 0.5);
    // the last two images are completions, kept up to pixel 7 and 13
    await expectSamplersAgree(net, [0, 0, 0, 7, 13]);
    net.dispose();
  });
});

describe('the PixelRNN model', () => {
  it.each(['row', 'diagonal'])('%s: trains on a fixed batch with falling loss; bits/dim = nats / (pixels ln 2), in training and held out', async (layer) => {
    for (const data of ['bytes', 'sampled']) await expectFallingLoss(tinyConfig({ data, layer }), 0.85);
  }, 60_000);

  it('samples valid values and shows samples, completions and the receptive field on grey and colour data; leaks nothing across steps, views and dispose', async () => {
    for (const [dataset, data, layer, channels] of [['mnist', 'threshold', 'diagonal', 1], ['colored-mnist', 'bytes', 'row', 3]] as const) {
      await withoutLeaks(
        tinyConfig({ data, layer }, dataset),
        async (session) => {
          await train(session, 1);
          await heldOut(session);
          await expectValidSamples(await session.sample(3, createRandom(2)), [3, 28, 28, channels], data === 'bytes' ? 255 : 1);
          const panels = (await session.views()) as ImageGridPanel[];
          expect(panels.map((panel) => [panel.id, panel.count, panel.channels])).toEqual([
            ['samples', 16, channels],
            ['completions', 16, channels],
            ['receptive-field', channels, 3],
          ]);
        },
        dataset,
      );
    }
  }, 120_000);
});

describe('PixelRNN\'s memory a training example', () => {
  onWasmBackend();

  it('with our WASM kernels (cell and neighbours), tf.profile\'s peak grows by less than floatsPerExample an image, the Row LSTM counted at 100 floats a unit (165 by TF.js\'s ops, on the CPU backend)', async () => {
    const net = new PixelRnnNetwork([12, 12, 1], { layer: 'row', layers: 2, units: 12, firstKernel: 3 }, 256, createRandom(1));
    const peak = async (images: number) => {
      const values = tf.tidy(() => tf.randomUniform([images, 12, 12, 1], 0, 256, 'int32', 3).cast('float32')) as tf.Tensor4D;
      const input = tf.tidy(() => values.div(255)) as tf.Tensor4D;
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => net.negLogLikelihood(input, values).sum() as tf.Scalar, net.variables as tf.Variable[]);
        tf.dispose([value, ...Object.values(grads)]);
      });
      tf.dispose([values, input]);
      return info.peakBytes;
    };
    const perImage = ((await peak(8)) - (await peak(2))) / 6;
    // per pixel: 2 layers x 12 units x 100, 20 x 12 around them, and the head's 256 logits (1 float each on WASM)
    expect(net.floatsPerExample).toBe(12 * 12 * (2 * 12 * 100 + 20 * 12 + 256));
    expect(perImage).toBeLessThan(4 * net.floatsPerExample);
    // and not far below: the estimate follows what a step holds
    expect(perImage).toBeGreaterThan(0.6 * 4 * net.floatsPerExample);
    await tf.setBackend('cpu');
    expect(net.floatsPerExample).toBe(12 * 12 * (2 * 12 * 165 + 20 * 12 + 12 * 256));
    await tf.setBackend('wasm');
    net.dispose();
  });
});
