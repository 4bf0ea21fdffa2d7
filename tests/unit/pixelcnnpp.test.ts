/**
 * PixelCNN++: the discretized logistic mixture against numerical integration of the
 * logistic density (total mass 1, edge bins to infinity), its hand-written gradient
 * against autodiff, whole-pixel conditioning against the joint mixture written out,
 * causality by gradients for every combination of the paper's switches (streams, stride-2
 * paths, masks), the cropped sampler against the naive one, a falling loss, valid samples
 * and no tensor leaks. All on tiny networks.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/core/config';
import { allBinsByOps, channelMixtures, logBinMass, mixtureLogProbabilities, mixtureLogProbability, mixtureParameterCount } from '../../src/core/models/autoregressive/logistic-mixture';
import { hasMixtureBins, mixtureBins } from '../../src/core/wasm-heap-mixture';
import { PixelCnnPlusPlusNetwork, type PixelCnnPlusPlusOptions } from '../../src/core/models/autoregressive/pixelcnnpp-network';
import { createRandom } from '../../src/core/random';
import type { ImageGridPanel } from '../../src/core/views/panels';
import { openNodeDataset } from '../../src/cli/node-datasets';
import type { Dataset } from '../../src/core/datasets/dataset';
import type { ImageDataset } from '../../src/core/datasets/image-dataset';
import type { GenerativeModel } from '../../src/core/models/model';
import { PIXELCNNPP_FACTORY } from '../../src/core/models/autoregressive/pixelcnnpp';
import { DETACHED_JOB } from '../../src/core/training/jobs';
import { evaluateOn, sessionFor, stepModel, tensorData } from './helpers';
import { checkCausality, expectSamplersAgree, expectValidSamples, onWasmBackend, seesValueBefore, tinyConfig as tinyRun, type Shape } from './autoregressive-test-helpers';

onWasmBackend();

const DEFAULTS: PixelCnnPlusPlusOptions = { filters: 8, blocks: 1, likelihood: 'mixture', components: 3, wholePixel: true, downsample: true, shortcuts: true, gated: true, dropout: 0 };

/** A tiny network whose weights are large enough that every output depends visibly on what it may see. */
function network(shape: Shape, options: Partial<PixelCnnPlusPlusOptions> = {}): PixelCnnPlusPlusNetwork {
  const net = new PixelCnnPlusPlusNetwork(shape, { ...DEFAULTS, ...options }, createRandom(5));
  // biases away from 0, so that no unit starts in a symmetric spot by accident
  net.variables.forEach((variable, i) => variable.rank === 1 && variable.assign(tf.randomNormal(variable.shape, 0, 0.3, 'float32', 100 + i)));
  return net;
}

/** The logistic CDF, in float64. */
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
/** The integral of the logistic density of (mu, s) from a to b, by Simpson's rule on n intervals (density written out, not its CDF). */
function integrate(mu: number, s: number, a: number, b: number, n = 2000): number {
  // symmetric in z, written with e^-|z| so that it never overflows
  const density = (x: number) => {
    const e = Math.exp(-Math.abs((x - mu) / s));
    return e / (s * (1 + e) ** 2);
  };
  const h = (b - a) / n;
  let sum = density(a) + density(b);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * density(a + i * h);
  return (sum * h) / 3;
}

describe('the discretized logistic mixture', () => {
  // mixtures [weights, means, log-scales]: narrow and wide, inside and beyond [-1, 1], a logistic at the floor log s = -7
  const mixtures: [number[], number[], number[]][] = [
    [[0.5, 0.3, 0.2], [-0.2, 0.5, 0.9], [-3, -2, -4]],
    [[0.9, 0.05, 0.05], [-1, 1, 0], [-5, -4.5, -1]],
    [[0.2, 0.3, 0.5], [-1.3, 1.2, 0.01], [-1.5, -2, -7]],
  ];
  it('puts total probability 1 on the 256 values, and on each the mass of the logistic density over its bin (the edge bins to infinity)', async () => {
    const logWeights = tf.tensor2d(mixtures.map(([w]) => w.map(Math.log)));
    const means = tf.tensor2d(mixtures.map(([, m]) => m));
    const logScales = tf.tensor2d(mixtures.map(([, , s]) => s));
    const logP = await mixtureLogProbabilities(logWeights, means, logScales).array();
    mixtures.forEach(([weights, mus, logSs], row) => {
      const p = logP[row].map(Math.exp);
      expect(p.reduce((a, b) => a + b, 0), `mixture ${row}`).toBeCloseTo(1, 4);
      for (let v = 0; v < 256; v++) {
        const x = (2 * v) / 255 - 1;
        let expected = 0;
        weights.forEach((w, k) => {
          const s = Math.exp(logSs[k]);
          // the edge bins integrate from (or to) 40 scales beyond the mean, where less than e^-40 is left
          const lower = v === 0 ? Math.min(x, mus[k]) - 40 * s : x - 1 / 255;
          const upper = v === 255 ? Math.max(x, mus[k]) + 40 * s : x + 1 / 255;
          expected += w * integrate(mus[k], s, lower, upper);
        });
        expect(Math.abs(p[v] - expected), `mixture ${row}, value ${v}: ${p[v]} against ${expected}`).toBeLessThan(2e-6 + 1e-4 * expected);
      }
    });
    // the 256-value log-probabilities agree with the one-value form the loss uses, to float32's rounding of the two
    // formulas (the one-value form is off by 6e-5 from the exact value on the third mixture's value 128, the kernel by 1e-6)
    const values = tf.tensor2d([[0], [255], [128]], [3, 1], 'int32');
    const picked = await mixtureLogProbability({ logWeights: logWeights.expandDims(1), means: means.expandDims(1), logScales: logScales.expandDims(1) }, values).data();
    [0, 255, 128].forEach((v, row) => expect(Math.abs(picked[row] - logP[row][v]), `mixture ${row}, value ${v}`).toBeLessThan(1e-4));
    tf.dispose([logWeights, means, logScales, values]);
  });

  it('on WASM, our one-kernel mixture and TF.js\'s ops both give the float64 log-probabilities, for narrow, wide and far-off logistics and 1 to 10 components', async () => {
    expect(hasMixtureBins()).toBe(true);
    // log P(v) in float64 by the same log-domain formula (where the bins' masses underflow even float64)
    const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    const exact = (w: number[], mu: number[], logS: number[], v: number) => {
      const x = (2 * v) / 255 - 1;
      const terms = w.map((wk, k) => {
        const inverse = Math.exp(-logS[k]);
        const [a, b] = [(x + 1 / 255 - mu[k]) * inverse, (x - 1 / 255 - mu[k]) * inverse];
        if (v === 0) return wk + a - softplus(a);
        if (v === 255) return wk - softplus(b);
        return wk + a - softplus(a) - softplus(b) + Math.log(-Math.expm1(b - a));
      });
      const top = Math.max(...terms);
      return top + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - top), 0));
    };
    for (const K of [1, 3, 10]) {
      // 7 rows: log s from -7 to 7, means from -3 to 3 (far beyond [-1, 1]), weights at random
      const rows = 7;
      const logW = tf.tidy(() => tf.logSoftmax(tf.randomNormal([rows, K], 0, 2, 'float32', K))) as tf.Tensor2D;
      const mu = tf.randomUniform([rows, K], -3, 3, 'float32', 10 + K) as tf.Tensor2D;
      const logS = tf.tensor2d(Array.from({ length: rows * K }, (_, i) => -7 + (14 * (i % 8)) / 7), [rows, K]);
      const [w, m, s] = [await logW.array(), await mu.array(), await logS.array()];
      // measured: the kernel within 1.3e-6 (1 + |log P|) of the reference, the ops within 1.2e-5
      for (const [name, compute, tolerance] of [['kernel', () => mixtureBins(logW, mu, logS, 1 / 255), 3e-6], ['ops', () => allBinsByOps(logW, mu, logS), 3e-5]] as const) {
        const result = tf.tidy(compute);
        const got = await result.array();
        result.dispose();
        for (let row = 0; row < rows; row++) for (let v = 0; v < 256; v++) {
          const reference = exact(w[row], m[row], s[row], v);
          expect(Math.abs(got[row][v] - reference), `${name}, K ${K}, row ${row}, value ${v}: ${got[row][v]} against ${reference}`).toBeLessThan(tolerance * (1 + Math.abs(reference)));
        }
      }
      tf.dispose([logW, mu, logS]);
    }
  });

  it('gives each row the same numbers whatever rows come with it: a sampler\'s pixel as in a whole batch of blocks, and none for no rows', async () => {
    // 2,000 rows of K = 10: three blocks of at most 819 rows (8 MB of terms each)
    const [rows, K] = [2000, 10];
    const w = tf.tidy(() => tf.logSoftmax(tf.randomNormal([rows, K], 0, 1, 'float32', 21))) as tf.Tensor2D;
    const m = tf.randomUniform([rows, K], -1.2, 1.2, 'float32', 22) as tf.Tensor2D;
    const s = tf.randomUniform([rows, K], -6, 1, 'float32', 23) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const all = mixtureLogProbabilities(w, m, s);
    expect(tf.memory().numTensors).toBe(before + 1);
    const whole = await all.data();
    // rows at the start, across the first block's end and at the end, asked for alone
    for (const [first, count] of [[0, 3], [815, 8], [1997, 3]]) {
      const part = tf.tidy(() => mixtureLogProbabilities(...([w, m, s].map((t) => t.slice([first, 0], [count, K])) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D])));
      expect(await part.data(), `rows ${first}..${first + count - 1}`).toEqual(whole.subarray(first * 256, (first + count) * 256));
      part.dispose();
    }
    const none = tf.tidy(() => mixtureLogProbabilities(w.slice([0, 0], [0, K]), m.slice([0, 0], [0, K]), s.slice([0, 0], [0, K])));
    expect(none.shape).toEqual([0, 256]);
    tf.dispose([w, m, s, all, none]);
  });

  it('has the gradient autodiff finds for the same sum, component by component', async () => {
    const shape: [number, number] = [4, 3];
    const w = tf.logSoftmax(tf.randomNormal(shape, 0, 1, 'float32', 1)) as tf.Tensor2D;
    const m = tf.randomUniform(shape, -1.2, 1.2, 'float32', 2) as tf.Tensor2D;
    const s = tf.randomUniform(shape, -5, -1, 'float32', 3) as tf.Tensor2D;
    const weights = tf.randomNormal([4, 256], 0, 1, 'float32', 4);
    // the reference: every component's 256 bins at once, through TF.js's own gradients
    const reference = (lw: tf.Tensor, mu: tf.Tensor, ls: tf.Tensor) => {
      const v = tf.range(0, 256, 1, 'int32').reshape([1, 256, 1]);
      const x = v.toFloat().mul(2 / 255).sub(1);
      return tf.logSumExp(logBinMass(x, mu.expandDims(1), ls.expandDims(1), v.reshape([1, 256])).add(lw.expandDims(1)), 2);
    };
    const ours = tf.grads((lw: tf.Tensor, mu: tf.Tensor, ls: tf.Tensor) => mixtureLogProbabilities(lw as tf.Tensor2D, mu as tf.Tensor2D, ls as tf.Tensor2D).mul(weights).sum())([w, m, s]);
    const theirs = tf.grads((lw: tf.Tensor, mu: tf.Tensor, ls: tf.Tensor) => reference(lw, mu, ls).mul(weights).sum())([w, m, s]);
    for (let i = 0; i < 3; i++) {
      const [a, b] = [await ours[i].data(), await theirs[i].data()];
      const scale = Math.max(...Array.from(b, Math.abs));
      b.forEach((value, j) => expect(Math.abs(a[j] - value), `parameter ${i}, entry ${j}`).toBeLessThan(1e-3 * scale));
    }
    tf.dispose([w, m, s, weights, ...ours, ...theirs]);
  });

  it('conditions on whole pixels: the chain of conditionals is the joint mixture sum_k pi_k P_k(R) P_k(G | R) P_k(B | R, G)', async () => {
    const K = 2;
    const count = mixtureParameterCount(3, K, true);
    expect(count).toBe(10 * K);
    const params = tf.randomNormal([5, count], 0, 1, 'float32', 8) as tf.Tensor2D;
    const values = tf.tensor2d([[0, 17, 255], [128, 128, 128], [255, 0, 3], [40, 90, 200], [1, 254, 77]], [5, 3], 'int32');
    const chain = await mixtureLogProbability(channelMixtures(params, values, 3, K, true), values).sum(1).data();
    // the joint, written out in float64 from the parameters: weights, means, log-scales, coefficients
    const p = await params.array();
    const v = await values.array();
    const logistic = (x: number, mu: number, logS: number, value: number) => {
      const s = Math.exp(Math.max(logS, -7));
      const upper = value === 255 ? 1 : sigmoid((x + 1 / 255 - mu) / s);
      const lower = value === 0 ? 0 : sigmoid((x - 1 / 255 - mu) / s);
      return upper - lower;
    };
    p.forEach((row, i) => {
      const [r, g, b] = v[i].map((value) => (2 * value) / 255 - 1);
      const logits = row.slice(0, K);
      const norm = logits.reduce((sum, l) => sum + Math.exp(l), 0);
      let joint = 0;
      for (let k = 0; k < K; k++) {
        const mean = (c: number) => row[K + c * K + k];
        const logS = (c: number) => row[4 * K + c * K + k];
        const coefficient = (j: number) => Math.tanh(row[7 * K + j * K + k]);
        const pR = logistic(r, mean(0), logS(0), v[i][0]);
        const pG = logistic(g, mean(1) + coefficient(0) * r, logS(1), v[i][1]);
        const pB = logistic(b, mean(2) + coefficient(1) * r + coefficient(2) * g, logS(2), v[i][2]);
        joint += (Math.exp(logits[k]) / norm) * pR * pG * pB;
      }
      expect(chain[i], `pixel ${i}`).toBeCloseTo(Math.log(joint), 3);
    });
    tf.dispose([params, values]);
  });

  it('gives the mixtures of the channels up to `through` alone, the same as of the whole pixel, and refuses a channel out of range', async () => {
    const K = 3;
    for (const wholePixel of [true, false]) {
      const params = tf.randomNormal([4, mixtureParameterCount(3, K, wholePixel)], 0, 1, 'float32', 5) as tf.Tensor2D;
      const values = tf.tensor2d([[0, 17, 255], [128, 9, 128], [255, 0, 3], [40, 90, 200]], [4, 3], 'int32');
      const whole = channelMixtures(params, values, 3, K, wholePixel);
      for (const through of [0, 1]) {
        const part = channelMixtures(params, values, 3, K, wholePixel, undefined, through);
        for (const key of ['logWeights', 'means', 'logScales'] as const) {
          expect(part[key].shape, `${key} through ${through}`).toEqual([4, through + 1, K]);
          const expected = await whole[key].slice([0, 0, 0], [4, through + 1, K]).data();
          const got = await part[key].data();
          got.forEach((value, j) => expect(value, `${key} through ${through}, entry ${j}`).toBeCloseTo(expected[j], 5));
        }
        tf.dispose(Object.values(part));
      }
      for (const through of [3, -1, 1.5]) expect(() => channelMixtures(params, values, 3, K, wholePixel, undefined, through)).toThrow(/through must be a channel, 0 to 2/);
      tf.dispose([params, values, ...Object.values(whole)]);
    }
  });
});

/** Every combination of the switches that changes the network's wiring. */
const SWITCHES: [string, Partial<PixelCnnPlusPlusOptions>][] = [];
for (const head of [{ likelihood: 'mixture', wholePixel: true }, { likelihood: 'mixture', wholePixel: false }, { likelihood: 'softmax', wholePixel: false }] as const) {
  for (const downsample of [true, false]) {
    for (const shortcuts of [true, false]) {
      for (const gated of [true, false]) {
        SWITCHES.push([`${head.likelihood}${head.wholePixel ? ', whole pixels' : ', masks'}, ${downsample ? 'stride 2' : 'full size'}, ${shortcuts ? 'short-cuts' : 'none'}, ${gated ? 'gated' : 'plain'}`, { ...head, downsample, shortcuts, gated }]);
      }
    }
  }
}

/**
 * Checks the gradient of every output value against every input: zero at and after it,
 * non-zero on the value just before it. Except, stride 2 without short-cuts: then what the
 * down pass brings back up is all a pixel sees of its own row, and it comes from the
 * low-resolution pixel at (2i, 2j), which sees only what lies before (2i, 2j): an odd
 * column's left neighbour is lost (the information the paper's short-cuts keep), and
 * deeper down, more: only the pixel's own earlier channels are sure to be seen.
 */
async function checkStreams(net: PixelCnnPlusPlusNetwork, shape: Shape, lossy = false): Promise<void> {
  const channels = shape[2];
  await checkCausality(net, shape, { images: 2, categories: 256, inputs: 'uniform' }, (values, at) => {
    if (!lossy) seesValueBefore(values, at);
    else if (at.row === 0 && at.column === 1 && at.channel === 0) expect(values.slice(0, channels).every((value) => value === 0), 'out(0,1) misses its left neighbour').toBe(true);
    else if (at.channel > 0) seesValueBefore(values, at);
  });
}

describe('causality by gradients', () => {
  it.each(SWITCHES)('colour, %s: output i never depends on input i or later, and does on the value before it', async (_, options) => {
    const shape: Shape = [4, 4, 3];
    const net = network(shape, options);
    await checkStreams(net, shape, options.downsample && !options.shortcuts);
    net.dispose();
  });

  it('grey, and a taller colour image, stride 2 through all three scales', async () => {
    for (const shape of [[8, 4, 1], [8, 4, 3]] as Shape[]) {
      const net = network(shape);
      await checkStreams(net, shape);
      net.dispose();
    }
  }, 60_000);
});

describe('the network', () => {
  it.each([
    ['whole pixels', { wholePixel: true }],
    ['masks', { wholePixel: false }],
    ['softmax', { likelihood: 'softmax' }],
  ] as [string, Partial<PixelCnnPlusPlusOptions>][])('%s: -log p(x) from the parameters is minus the sum of the log-probabilities the sampler reads', async (_, options) => {
    for (const shape of [[4, 4, 3], [4, 8, 1]] as Shape[]) {
      const net = network(shape, options);
      const values = tf.randomUniform([3, ...shape], 0, 256, 'int32', 6) as tf.Tensor4D;
      const input = values.toFloat().div(255) as tf.Tensor4D;
      const nll = await net.negLogLikelihood(input, values, false).data();
      const picked = await tf.tidy(() => {
        const logits = net.logits(input);
        return tf.logSoftmax(logits).mul(tf.oneHot(values, 256).toFloat()).sum([1, 2, 3, 4]).neg();
      }).data();
      nll.forEach((value, i) => expect(value).toBeCloseTo(picked[i], 1));
      // and the log-probabilities are normalized already (softmax logits are not)
      if (options.likelihood !== 'softmax') {
        const total = await tf.tidy(() => net.logits(input).exp().sum(4)).data();
        total.forEach((value) => expect(value).toBeCloseTo(1, 3));
      }
      tf.dispose([values, input]);
      net.dispose();
    }
  });

  it.each([
    ['stride 2, reach the whole image', { downsample: true }],
    ['full size, reach of the layers', { downsample: false }],
    ['masks and softmax', { likelihood: 'softmax', downsample: true }],
  ] as [string, Partial<PixelCnnPlusPlusOptions>][])('%s: the cropped sampler, and the cached one (row by row, pixelcnnpp-cache.test.ts checks every switch), draw exactly what the naive one draws, completions too, and leak nothing', async (_, options) => {
    for (const shape of [[4, 4, 3], [8, 4, 1]] as Shape[]) {
      const net = network(shape, options);
      // the last image a completion kept up to pixel 9; more than 10 values among the two samples
      await expectSamplersAgree(net, [0, 0, 9], (i) => (i % 7) / 6, 10);
      net.dispose();
    }
  });
});

const tinyConfig = (values: Record<string, number | string> = {}, dataset = 'mnist'): RunConfig =>
  tinyRun('pixelcnnpp', { filters: 8, blocks: 1, components: 3, batch: 4, lr: 0.005, ...values }, dataset);

/**
 * The model on small colour crops of the first emoji (values 0..255 as int32): sampling
 * takes one network pass per value, and few values a picture keep the views quick.
 */
async function cropModel(values: Record<string, number | string> = {}, size = 8): Promise<{ model: GenerativeModel; data: Dataset; dispose(): void }> {
  const emoji = (await openNodeDataset('emoji16', {})) as ImageDataset;
  const crops = tf.tidy(() => emoji.take('train', [0, 1, 2, 3, 4, 5], { encoding: 'bytes' }).slice([0, 4, 4, 0], [6, size, size, 3])) as tf.Tensor4D;
  const spec = { ...emoji.spec, shape: [size, size, 3] as const };
  const config = tinyConfig(values, 'emoji16');
  const model = PIXELCNNPP_FACTORY.create(config.values, { data: spec, random: createRandom(3) });
  const data = tensorData(crops);
  return { model, data, dispose: () => (model.dispose(), crops.dispose()) };
}

describe('the PixelCNN++ model', () => {
  it('trains on a fixed batch with falling loss, mixture and softmax; bits/dim = nats / (values ln 2), in training and held out', async () => {
    for (const likelihood of ['mixture', 'softmax']) {
      const { model, data, dispose } = await cropModel({ likelihood, lr: 0.01 });
      const losses: number[] = [];
      for (let step = 0; step < 20; step++) {
        const terms = await stepModel(model, data, 6);
        expect(terms.bits_per_dim).toBeCloseTo(terms.nats / (192 * Math.LN2), 4);
        losses.push(terms.bits_per_dim);
      }
      // from about 8 bits (a guess over 256 values) down by more than a bit
      expect(losses[0], likelihood).toBeGreaterThan(6.5);
      expect(losses[19], likelihood).toBeLessThan(losses[0] - 1);
      const figures = await evaluateOn(model, data);
      expect(figures.bits_per_dim).toBeCloseTo(figures.nats / (192 * Math.LN2), 4);
      dispose();
    }
  });

  it('with few training images, draws every batch from them', async () => {
    const session = await sessionFor(tinyConfig({ train_images: 3 }));
    const seen: number[][] = [];
    const data = Object.create(session.data) as ImageDataset;
    const take = (session.data as ImageDataset).take.bind(session.data);
    data.take = (split, indices, options) => {
      if (split === 'train') seen.push([...indices]);
      return take(split, indices, options);
    };
    const terms = tf.tidy(() => session.model.step({ data, random: createRandom(3), batchSize: 16 }));
    tf.dispose(Object.values(terms));
    expect(seen.flat().length).toBe(16);
    expect(Math.max(...seen.flat())).toBeLessThan(3);
    session.dispose();
  });

  it('samples valid 8-bit values, shows its views, and leaks nothing across steps, views and dispose', async () => {
    const before = tf.memory().numTensors;
    const { model, data, dispose } = await cropModel({ dropout: 0.5, filters: 4 }, 4);
    // the first step creates Adam's moments: count from after it
    await stepModel(model, data, 4);
    const settled = tf.memory().numTensors;
    await stepModel(model, data, 4);
    await evaluateOn(model, data);
    const panels = (await model.views({ data, random: createRandom(1), job: DETACHED_JOB })) as ImageGridPanel[];
    expect(panels.map((panel) => [panel.id, panel.channels])).toEqual([
      ['samples', 3],
      ['completions', 3],
      ['receptive-field', 3],
    ]);
    await expectValidSamples(await model.sample!(2, { random: createRandom(2), data }), [2, 4, 4, 3], 255);
    expect(tf.memory().numTensors).toBe(settled);
    dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
