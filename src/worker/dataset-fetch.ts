/**
 * Loads a dataset's gzipped uint8 files from our own origin, reporting progress, and keeps
 * each dataset once per worker (switching back and forth does not refetch). A download
 * that stalls is abandoned and tried again; one that fails says which file and what went
 * wrong: the server's answer, a broken connection, a stall, a file cut short or damaged.
 */
import { datasetFileName, type ImageDataSpec, type Split } from '../core/datasets/catalog';
import { ImageDataset, type SplitBytes } from '../core/datasets/image-dataset';

export interface DownloadPolicy {
  /** A download that receives nothing for this long is abandoned (ms). */
  stallMs: number;
  /** Tries per file, the first included. */
  attempts: number;
  /** Waits before the second, third... try (ms). */
  retryDelaysMs: readonly number[];
  fetch: typeof fetch;
  sleep(ms: number): Promise<void>;
}

export const BROWSER_POLICY: DownloadPolicy = {
  stallMs: 20_000,
  attempts: 3,
  retryDelaysMs: [1000, 3000],
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A failed download, in words a person can act on; `retry` says whether another try could help. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** gzip's first two bytes. */
const GZIP_MAGIC = [0x1f, 0x8b];
const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

/** One try: the file's bytes as they arrived, abandoned after `stallMs` without any. */
async function downloadOnce(url: string, onBytes: (delta: number, total: number) => void, policy: DownloadPolicy): Promise<Uint8Array> {
  const controller = new AbortController();
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, policy.stallMs);
  };
  watch();
  try {
    const response = await policy.fetch(url, { signal: controller.signal });
    if (!response.ok || !response.body) {
      const missing = response.status === 404;
      throw new DownloadError(
        missing ? 'the server has no such file (HTTP 404). Were the datasets built? Run "npm run datasets".' : `the server answered HTTP ${response.status}`,
        !missing && response.status >= 500,
      );
    }
    const total = Number(response.headers.get('content-length') ?? 0);
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    for (;;) {
      watch();
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
      onBytes(value.byteLength, total);
    }
    const body = new Uint8Array(received);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    // A browser that inflated a gzip Content-Encoding for us counts inflated bytes: only a body still in gzip can be checked against the header.
    const stillGzip = body[0] === GZIP_MAGIC[0] && body[1] === GZIP_MAGIC[1];
    if (stillGzip && total > 0 && received < total) throw new DownloadError(`the file arrived cut short: ${megabytes(received)} of ${megabytes(total)} MB`, true);
    return body;
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    if (stalled) throw new DownloadError(`the download stalled: nothing arrived for ${Math.round(policy.stallMs / 1000)} s`, true);
    throw new DownloadError(`the connection failed (${error instanceof Error ? error.message : String(error)})`, true);
  } finally {
    clearTimeout(timer);
  }
}

/** Inflates a gzip body (a body the browser already inflated comes back as it is). */
async function inflate(body: Uint8Array): Promise<Uint8Array> {
  if (body[0] !== GZIP_MAGIC[0] || body[1] !== GZIP_MAGIC[1]) return body;
  try {
    const inflated = new Blob([body as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
    return new Uint8Array(await new Response(inflated).arrayBuffer());
  } catch (error) {
    throw new DownloadError(`the file is damaged: it does not decompress (${error instanceof Error ? error.message : String(error)})`, true);
  }
}

/** A file's bytes, tried up to `policy.attempts` times; the error names the file. */
export async function fetchGzip(url: string, onBytes: (delta: number, total: number, restart: boolean) => void, policy: DownloadPolicy = BROWSER_POLICY): Promise<Uint8Array> {
  const name = decodeURIComponent(url.split('/').pop() ?? url);
  for (let attempt = 1; ; attempt++) {
    try {
      return await inflate(await downloadOnce(url, (delta, total) => onBytes(delta, total, false), policy));
    } catch (error) {
      const failure = error instanceof DownloadError ? error : new DownloadError(String(error), false);
      if (!failure.retry || attempt >= policy.attempts) {
        throw new Error(`Could not load ${name}: ${failure.message}${attempt > 1 ? ` (after ${attempt} tries)` : ''}.`);
      }
      onBytes(0, 0, true); // the next try starts from nothing
      await policy.sleep(policy.retryDelaysMs[attempt - 1] ?? policy.retryDelaysMs.at(-1) ?? 0);
    }
  }
}

const cache = new Map<string, Promise<ImageDataset>>();

async function load(spec: ImageDataSpec, dataUrl: string, onProgress: (label: string, loaded: number, total: number) => void, policy: DownloadPolicy): Promise<ImageDataset> {
  const files = (['train', 'test'] as const).flatMap((split) => (['images', 'labels'] as const).map((part) => ({ split, part })));
  const totals = new Map<string, number>();
  const loadedBytes = new Map<string, number>();
  const report = () => {
    const sum = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);
    onProgress(`Loading ${spec.name}`, Math.min(sum(loadedBytes), sum(totals)), sum(totals));
  };
  const pixels = spec.shape[0] * spec.shape[1] * spec.shape[2];
  const bytes = await Promise.all(
    files.map(async ({ split, part }) => {
      const name = datasetFileName(spec.id, split, part);
      loadedBytes.set(name, 0);
      const data = await fetchGzip(
        new URL(name, dataUrl).href,
        (delta, total, restart) => {
          if (total > 0) totals.set(name, total);
          loadedBytes.set(name, restart ? 0 : (loadedBytes.get(name) ?? 0) + delta);
          report();
        },
        policy,
      );
      const expected = spec.counts[split] * (part === 'images' ? pixels : 1);
      if (data.length !== expected) {
        throw new Error(
          `Could not load ${name}: it holds ${data.length.toLocaleString('en-US')} bytes where ${expected.toLocaleString('en-US')} were expected, ` +
            'so it is damaged or from another version of the app. Reload the page; if that does not help, rebuild the datasets ("npm run datasets -- --force").',
        );
      }
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
  policy: DownloadPolicy = BROWSER_POLICY,
): Promise<ImageDataset> {
  let pending = cache.get(spec.id);
  if (!pending) {
    pending = load(spec, dataUrl, onProgress, policy);
    pending.catch(() => cache.delete(spec.id)); // a failed load may be retried
    cache.set(spec.id, pending);
  }
  return pending;
}
