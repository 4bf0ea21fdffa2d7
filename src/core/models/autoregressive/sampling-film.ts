/**
 * Watching an autoregressive model draw, as jobs the page runs on request:
 * - a film of one image filled in value by value, each frame showing the image so far,
 *   the pixels the current prediction can see (its receptive field, from gradients, blind
 *   spot included) and the distribution the value is drawn from;
 * - the same random numbers drawn at several temperatures, argmax among them, with how
 *   different the samples of each are from one another.
 *
 * van den Oord et al. 2016, "Pixel Recurrent Neural Networks", section 2,
 * https://arxiv.org/abs/1601.06759: x_i ~ p(x_i | x_1, ..., x_{i-1}), one value at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { createRandom, type Random } from '../../random';
import type { JobContext } from '../../training/jobs';
import type { BarsPanel, HistogramPanel, ImageGridPanel, PanelGroup } from '../../views/panels';
import type { AutoregressiveNetwork } from './autoregressive-network';
import { drawValues } from './pixel-likelihood';
import { openPass, samplePixels } from './pixel-sampler';
import { fieldPicture, gradientField } from './receptive-field';

export interface DrawingSetup {
  network: AutoregressiveNetwork;
  /** The network's input for a value v: v * scale. */
  scale: number;
  temperature: number;
  channelNames: readonly string[];
}

/** Frames in a film of one image, whatever its size: about 160 moments of it. */
const FILM_FRAMES = 160;
/** Not-yet-drawn pixels in the picture of the image so far. */
const UNDRAWN = [205, 214, 224];
const CURRENT = [214, 39, 40];

/**
 * Draws one image value by value, emitting a frame (a panel group) every few values, at
 * most one every `frameMs` where a person watches (the job's pace); returns the image's
 * values as network inputs [H * W * C].
 */
export async function filmOneImage(setup: DrawingSetup, random: Random, job: JobContext, frameMs: number): Promise<Float32Array> {
  const { network, scale, temperature } = setup;
  const [height, width, channels] = network.shape;
  const total = height * width * channels;
  const canvas = new Float32Array(total);
  const every = Math.max(1, Math.ceil(total / FILM_FRAMES));
  const pass = openPass(network, canvas, 1, 'cached');
  const probes = fieldProbes(setup);
  let lastFrame = -Infinity;
  try {
    for (let index = 0; index < total; index++) {
      const [pixel, channel] = [Math.floor(index / channels), index % channels];
      const [row, column] = [Math.floor(pixel / width), pixel % width];
      const u = random.next();
      const [value, probabilities] = tf.tidy(() => {
        // [1, K]: the scores of this value, every value before it drawn
        const logits = pass.logits(row, column, channel);
        return [drawValues(logits, tf.tensor1d([u]), temperature), distribution(logits, temperature)] as const;
      });
      const drawn = (await value.data())[0];
      const p = (await probabilities.data()) as Float32Array;
      tf.dispose([value, probabilities]);
      if (index % every === 0) {
        // a frame at most every frameMs: the film's pace, whatever the machine's speed
        await job.pace(lastFrame + frameMs - Date.now());
        job.emit(await frame(setup, canvas, probes, { row, column, channel, drawn, probabilities: p }), index / total);
        lastFrame = Date.now();
      }
      canvas[pixel * channels + channel] = drawn * scale;
      if (channel === channels - 1) pass.pixelDrawn?.(row, column);
    }
  } finally {
    pass.dispose?.();
    tf.dispose([probes.inputs, probes.values]);
  }
  job.emit(finished(setup, canvas), 1);
  return canvas;
}

/**
 * What a value is drawn from: softmax(l / T) over the K values (for T = 0, argmax takes the
 * peak of softmax(l)), or for a Bernoulli [1 - p, p] with p = sigmoid(l / T). [1, K] -> [K] (or [2]).
 */
function distribution(logits: tf.Tensor2D, temperature: number): tf.Tensor1D {
  const sharpened = temperature > 0 ? logits.div(temperature) : logits;
  if (logits.shape[1] === 1) {
    const p = tf.sigmoid(sharpened).reshape([1]);
    return tf.concat([tf.onesLike(p).sub(p), p]) as tf.Tensor1D;
  }
  return tf.softmax(sharpened).reshape([-1]) as tf.Tensor1D;
}

interface Moment {
  row: number;
  column: number;
  channel: number;
  /** The value drawn now (0..255, or 0/1), and the distribution it came from. */
  drawn: number;
  probabilities: Float32Array;
}

/** One frame: the image so far and what the current prediction sees, and its distribution. */
async function frame(setup: DrawingSetup, canvas: Float32Array, probes: FieldProbes, moment: Moment): Promise<PanelGroup> {
  const { network, channelNames, temperature } = setup;
  const [height, width, channels] = network.shape;
  const { row, column, channel, drawn, probabilities } = moment;
  const field = await gradientField(network, probes.inputs, probes.values, row, column, [channel]);
  const where = `row ${row + 1}, column ${column + 1}${channels > 1 ? `, ${channelNames[channel]}` : ''}`;
  const size = height * width;
  const pictures = new Uint8ClampedArray(2 * size * 3);
  pictures.set(soFar(setup, canvas, row * width + column));
  pictures.set(fieldPicture(field, network.shape, network.reach, row, column), size * 3);
  const images: ImageGridPanel = {
    kind: 'image-grid',
    id: 'film-images',
    title: 'The image so far, and what this prediction sees',
    caption:
      'Left: the values drawn so far (pale: still to draw), the current pixel in red. Right: the pixels the prediction of the current value depends on, in blue (from its gradients on random inputs); ' +
      'amber: earlier pixels within reach that it cannot see (a blind spot); white: later pixels, which it must not see.',
    pixels: pictures,
    count: 2,
    height,
    width,
    channels: 3,
    columns: 2,
  };
  const peak = probabilities.indexOf(Math.max(...probabilities));
  const binary = probabilities.length === 2;
  const how = temperature === 0 ? `argmax takes the most likely value, ${peak}` : `drawn at temperature ${temperature}: ${drawn} (probability ${probabilities[drawn].toFixed(3)})`;
  const chart: HistogramPanel = {
    kind: 'histogram',
    id: 'film-distribution',
    title: `What the model predicts for ${where}`,
    caption: `The probability of each possible value${binary ? ' (0 or 1)' : ' (0 to 255)'}, given every value drawn before it; ${how}.`,
    edges: Float32Array.from({ length: probabilities.length + 1 }, (_, edge) => edge),
    series: [{ label: `p(value | values before it)${temperature > 0 && temperature !== 1 ? `, at temperature ${temperature}` : ''}`, counts: probabilities }],
    valueLabel: `value of ${where}`,
    heightLabel: 'probability',
  };
  const index = (row * width + column) * channels + channel;
  return {
    kind: 'group',
    id: 'film',
    title: 'One image, value by value',
    caption: `Drawing value ${(index + 1).toLocaleString('en-US')} of ${(height * width * channels).toLocaleString('en-US')}: ${where}. Every value is one pass of the network, given all values before it.`,
    panels: [images, chart],
  };
}

/** Random images on which the film's receptive fields are measured. */
const FIELD_PROBES = 8;
const FIELD_SEED = 17;

/** The random images every frame's receptive field is measured on, made once per film. */
interface FieldProbes {
  inputs: tf.Tensor4D;
  values: tf.Tensor4D;
}

/**
 * Which pixels a prediction depends on is found from its gradients on a few random
 * inputs, not on the canvas. What a prediction can see is the network's, not the image's:
 * on the canvas, a black background (zeros) switches off the ReLUs it feeds and would hide
 * pixels the prediction does see. Inputs of either sign (uniform in [-1, 1]) keep some path
 * through every unit open.
 */
function fieldProbes(setup: DrawingSetup): FieldProbes {
  const [height, width, channels] = setup.network.shape;
  const shape: [number, number, number, number] = [FIELD_PROBES, height, width, channels];
  return {
    inputs: tf.randomUniform(shape, -1, 1, 'float32', FIELD_SEED) as tf.Tensor4D,
    // the values whose likelihood is differentiated: any will do
    values: tf.tidy(() => tf.randomUniform(shape, 0, setup.scale === 1 ? 2 : 256, 'float32', FIELD_SEED + 1).floor() as tf.Tensor4D),
  };
}

/** The last frame: the whole image, nothing marked. */
function finished(setup: DrawingSetup, canvas: Float32Array): PanelGroup {
  const [height, width] = setup.network.shape;
  const image: ImageGridPanel = {
    kind: 'image-grid',
    id: 'film-images',
    title: 'The finished image',
    caption: 'Every value drawn, each from the distribution the model predicted given all values before it.',
    pixels: soFar(setup, canvas, height * width),
    count: 1,
    height,
    width,
    channels: 3,
    columns: 1,
  };
  return { kind: 'group', id: 'film', title: 'One image, value by value', caption: `Done: all ${(height * width * setup.network.shape[2]).toLocaleString('en-US')} values drawn.`, panels: [image] };
}

/** RGB picture of the canvas: pixels before `current` as drawn, the current one red, later ones pale. */
function soFar(setup: DrawingSetup, canvas: Float32Array, current: number): Uint8ClampedArray {
  const [height, width, channels] = setup.network.shape;
  const picture = new Uint8ClampedArray(height * width * 3);
  for (let pixel = 0; pixel < height * width; pixel++) {
    let colour: number[];
    if (pixel === current) colour = CURRENT;
    else if (pixel > current) colour = UNDRAWN;
    // the canvas holds v / 255 or binary values, both in [0, 1]; grey: one value three times
    else colour = [0, 1, 2].map((k) => Math.round(canvas[pixel * channels + Math.min(k, channels - 1)] * 255));
    picture.set(colour, pixel * 3);
  }
  return picture;
}

/** The temperatures compared, argmax (0) first. */
export const COMPARED_TEMPERATURES = [0, 0.5, 1] as const;
const COMPARED_SAMPLES = 8;

/**
 * COMPARED_SAMPLES images at each temperature, every row from the same uniform numbers,
 * and how different a row's images are from one another: the mean absolute difference of
 * two of them, per value, on a 0..1 scale (0: all the same image).
 */
export async function compareTemperatures(setup: DrawingSetup, seed: number, job: JobContext): Promise<PanelGroup> {
  const { network, scale } = setup;
  const [height, width, channels] = network.shape;
  const size = height * width * channels;
  const rows = COMPARED_TEMPERATURES.length;
  const canvas = new Float32Array(rows * COMPARED_SAMPLES * size);
  const diversity = new Float32Array(rows);
  for (let t = 0; t < rows; t++) {
    const part = canvas.subarray(t * COMPARED_SAMPLES * size, (t + 1) * COMPARED_SAMPLES * size);
    await samplePixels(network, part, COMPARED_SAMPLES, {
      random: createRandom(seed),
      temperature: COMPARED_TEMPERATURES[t],
      method: 'cached',
      scale,
      afterRow: async (row) => {
        job.emit(temperatureGrid(setup, canvas, t + (row + 1) / height, diversity), (t + (row + 1) / height) / rows);
        await job.checkpoint();
      },
    });
    diversity[t] = meanPairDifference(part, COMPARED_SAMPLES, size);
  }
  return temperatureGrid(setup, canvas, rows, diversity);
}

/** Mean over pairs of images of the mean |x_a - x_b| over their values (network inputs, in [0, 1]). */
export function meanPairDifference(canvas: Float32Array, count: number, size: number): number {
  let [sum, pairs] = [0, 0];
  for (let a = 0; a < count; a++) {
    for (let b = a + 1; b < count; b++) {
      let difference = 0;
      for (let i = 0; i < size; i++) difference += Math.abs(canvas[a * size + i] - canvas[b * size + i]);
      sum += difference / size;
      pairs++;
    }
  }
  return pairs > 0 ? sum / pairs : 0;
}

function temperatureLabel(temperature: number): string {
  return temperature === 0 ? 'argmax (T = 0)' : `T = ${temperature}`;
}

/** The grid (a row per temperature) and the diversity bars of the rows `done` so far. */
function temperatureGrid(setup: DrawingSetup, canvas: Float32Array, done: number, diversity: Float32Array): PanelGroup {
  const [height, width, channels] = setup.network.shape;
  const labels = COMPARED_TEMPERATURES.map(temperatureLabel);
  // short, for bars side by side
  const barLabels = COMPARED_TEMPERATURES.map((temperature) => `T = ${temperature}`);
  const grid: ImageGridPanel = {
    kind: 'image-grid',
    id: 'temperature-samples',
    title: 'The same random numbers at each temperature',
    caption: `Each row: ${COMPARED_SAMPLES} images drawn value by value from the same uniform numbers; only the temperature differs. Argmax ignores them and takes the most likely value every time.`,
    pixels: Uint8ClampedArray.from(canvas, (value) => Math.round(value * 255)),
    count: COMPARED_TEMPERATURES.length * COMPARED_SAMPLES,
    height,
    width,
    channels,
    columns: COMPARED_SAMPLES,
    rowLabels: labels,
  };
  const whole = Math.floor(done);
  const bars: BarsPanel = {
    kind: 'bars',
    id: 'temperature-diversity',
    title: 'How different the samples are',
    caption: 'For each temperature, how much two of its samples differ on average (per value, 0 to 1). Argmax (T = 0) draws the same image every time: 0. Lower temperatures trade variety for likely values.',
    values: diversity.slice(0, whole),
    labels: barLabels.slice(0, whole),
    unit: 'mean difference of two samples',
  };
  return { kind: 'group', id: 'temperatures', title: 'Temperature and diversity', caption: 'Sampling at temperature T divides the scores by T before the softmax: T < 1 sharpens the distribution, T = 0 keeps only its peak (argmax).', panels: whole > 0 ? [grid, bars] : [grid] };
}
