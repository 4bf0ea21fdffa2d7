/** Loads the built dataset files from public/data in Node (tests, runner, benchmark). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { datasetFileName, findDataset, type ImageDataSpec, type Split } from '../core/datasets/catalog';
import { openDataset, type Dataset } from '../core/datasets/dataset';
import { ImageDataset, type SplitBytes } from '../core/datasets/image-dataset';
import type { ParamValue } from '../core/params/schema';
import { quote } from '../core/quote';

export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public', 'data');

export function readDatasetFile(id: string, split: Split, part: 'images' | 'labels'): Uint8Array {
  const path = join(DATA_DIR, datasetFileName(id, split, part));
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run datasets" (npm install runs it too).`);
  return new Uint8Array(gunzipSync(readFileSync(path)));
}

const cache = new Map<string, ImageDataset>();

/** An image dataset from the built files, read once per process. */
export function loadNodeImages(spec: ImageDataSpec): ImageDataset {
  let dataset = cache.get(spec.id);
  if (!dataset) {
    const split = (name: Split): SplitBytes => ({ images: readDatasetFile(spec.id, name, 'images'), labels: readDatasetFile(spec.id, name, 'labels') });
    dataset = new ImageDataset(spec, { train: split('train'), test: split('test') });
    cache.set(spec.id, dataset);
  }
  return dataset;
}

/** An image dataset by id (tests, bench). */
export function loadNodeDataset(id: string): ImageDataset {
  const spec = findDataset(id);
  if (spec?.kind !== 'image') throw new Error(`Unknown image dataset ${quote(id)}`);
  return loadNodeImages(spec);
}

/** The dataset of a run: images from disk, or a points set built from the run's settings. */
export function openNodeDataset(id: string, values: Readonly<Record<string, ParamValue>>): Promise<Dataset> {
  const spec = findDataset(id);
  if (!spec) throw new Error(`Unknown dataset ${quote(id)}`);
  return openDataset(spec, values, async (images) => loadNodeImages(images));
}
