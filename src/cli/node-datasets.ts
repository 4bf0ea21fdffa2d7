/** Loads the built dataset files from public/data in Node (tests, runner, benchmark). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { datasetFileName, findDataset, type Split } from '../core/datasets/catalog';
import { ImageDataset, type SplitBytes } from '../core/datasets/image-dataset';

export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public', 'data');

export function readDatasetFile(id: string, split: Split, part: 'images' | 'labels'): Uint8Array {
  const path = join(DATA_DIR, datasetFileName(id, split, part));
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run datasets" (npm install runs it too).`);
  return new Uint8Array(gunzipSync(readFileSync(path)));
}

const cache = new Map<string, ImageDataset>();

export function loadNodeDataset(id: string): ImageDataset {
  const spec = findDataset(id);
  if (!spec) throw new Error(`Unknown dataset "${id}"`);
  let dataset = cache.get(id);
  if (!dataset) {
    const split = (name: Split): SplitBytes => ({ images: readDatasetFile(id, name, 'images'), labels: readDatasetFile(id, name, 'labels') });
    dataset = new ImageDataset(spec, { train: split('train'), test: split('test') });
    cache.set(id, dataset);
  }
  return dataset;
}
