/**
 * Loads a dataset's gzipped uint8 files from our own origin, reporting progress, and
 * keeps each dataset once per worker (switching back and forth does not refetch).
 */
import { datasetFileName, type ImageDataSpec, type Split } from '../core/datasets/catalog';
import { ImageDataset, type SplitBytes } from '../core/datasets/image-dataset';

const cache = new Map<string, Promise<ImageDataset>>();

/** gzip's first two bytes. */
const GZIP_MAGIC = [0x1f, 0x8b];

async function fetchGzip(url: string, onBytes: (delta: number, total: number) => void): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) {
    throw new Error(`Could not load ${url} (HTTP ${response.status}). Were the datasets built? Run "npm run datasets".`);
  }
  const total = Number(response.headers.get('content-length') ?? 0);
  const counted = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onBytes(chunk.byteLength, total);
        controller.enqueue(chunk);
      },
    }),
  );
  const body = new Uint8Array(await new Response(counted).arrayBuffer());
  // Some servers send gzip files with Content-Encoding: gzip, and the browser has then
  // inflated them already: inflate only what still starts with gzip's magic bytes.
  if (body[0] !== GZIP_MAGIC[0] || body[1] !== GZIP_MAGIC[1]) return body;
  const inflated = new Blob([body]).stream().pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(inflated).arrayBuffer());
}

async function load(spec: ImageDataSpec, dataUrl: string, onProgress: (label: string, loaded: number, total: number) => void): Promise<ImageDataset> {
  const { id } = spec;
  const files = (['train', 'test'] as const).flatMap((split) => (['images', 'labels'] as const).map((part) => ({ split, part })));
  const totals = new Map<string, number>();
  const loadedBytes = new Map<string, number>();
  const report = () => {
    const sum = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);
    onProgress(`Loading ${spec.name}`, Math.min(sum(loadedBytes), sum(totals)), sum(totals));
  };
  const bytes = await Promise.all(
    files.map(async ({ split, part }) => {
      const name = datasetFileName(id, split, part);
      loadedBytes.set(name, 0);
      const data = await fetchGzip(new URL(name, dataUrl).href, (delta, total) => {
        totals.set(name, total);
        loadedBytes.set(name, (loadedBytes.get(name) ?? 0) + delta);
        report();
      });
      return { split, part, data };
    }),
  );
  const splits = {} as Record<Split, SplitBytes>;
  for (const split of ['train', 'test'] as const) {
    const find = (part: 'images' | 'labels') => bytes.find((entry) => entry.split === split && entry.part === part)!.data;
    splits[split] = { images: find('images'), labels: find('labels') };
  }
  return new ImageDataset(spec, splits);
}

export function loadBrowserDataset(
  spec: ImageDataSpec,
  dataUrl: string,
  onProgress: (label: string, loaded: number, total: number) => void,
): Promise<ImageDataset> {
  let pending = cache.get(spec.id);
  if (!pending) {
    pending = load(spec, dataUrl, onProgress);
    pending.catch(() => cache.delete(spec.id)); // a failed load may be retried
    cache.set(spec.id, pending);
  }
  return pending;
}
