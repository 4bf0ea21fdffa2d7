/**
 * What a model trains on: images or points, one interface to draw batches and read fixed
 * sets. A model that accepts both kinds branches on `kind`.
 */
import type { ParamValue } from '../params/schema';
import type { DataSpec, ImageDataSpec } from './catalog';
import type { ImageDataset } from './image-dataset';
import { PointsDataset } from './points';

export type Dataset = ImageDataset | PointsDataset;

/**
 * The dataset of a run: a points set built from its settings, or an image set from bytes
 * the caller loads (fetched in the browser, read from disk in Node) only when needed.
 */
export async function openDataset(
  spec: DataSpec,
  values: Readonly<Record<string, ParamValue>>,
  loadImages: (spec: ImageDataSpec) => Promise<ImageDataset>,
): Promise<Dataset> {
  if (spec.kind === 'image') return loadImages(spec);
  const spread = values.spread ?? spec.params.find((param) => param.key === 'spread')?.default ?? 0;
  return new PointsDataset(spec, Number(spread));
}
