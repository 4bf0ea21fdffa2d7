import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { findDataset, type ImageDataSpec } from '../../src/core/datasets/catalog';
import { fetchGzip, loadBrowserDataset, type DownloadPolicy } from '../../src/worker/dataset-fetch';

const URL_ = 'http://127.0.0.1/data/mnist-train-images.u8.gzip';

/** A policy around a fake fetch that answers each try with the next of `answers`. */
function policy(answers: ((signal: AbortSignal) => Promise<Response>)[], stallMs = 50) {
  const tries: string[] = [];
  const waits: number[] = [];
  const fake: DownloadPolicy = {
    stallMs,
    attempts: 3,
    retryDelaysMs: [1, 2],
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      tries.push(String(input));
      const answer = answers[Math.min(tries.length - 1, answers.length - 1)];
      return answer(init!.signal!);
    }) as typeof fetch,
    sleep: async (ms) => {
      waits.push(ms);
    },
  };
  return { fake, tries, waits };
}

const ok = (body: Uint8Array, headers: Record<string, string> = {}) => async () => new Response(body as BodyInit, { status: 200, headers: { 'content-length': String(body.length), ...headers } });
const status = (code: number) => async () => new Response('nope', { status: code });
/** Sends `first` bytes of the body, then nothing more: a stalled connection (it ends when aborted). */
const stalling = (body: Uint8Array, first: number) => async (signal: AbortSignal) =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(body.subarray(0, first));
        signal.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
      },
    }),
    { status: 200, headers: { 'content-length': String(body.length) } },
  );

const payload = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
const gzipped = new Uint8Array(gzipSync(payload));
const noProgress = () => {};

describe('dataset downloads', () => {
  it('inflates a gzip file', async () => {
    const { fake, tries } = policy([ok(gzipped)]);
    expect(await fetchGzip(URL_, noProgress, fake)).toEqual(payload);
    expect(tries).toHaveLength(1);
  });

  it('a missing file is named at once, with the fix; no retry', async () => {
    const { fake, tries } = policy([status(404)]);
    await expect(fetchGzip(URL_, noProgress, fake)).rejects.toThrow(
      'Could not load mnist-train-images.u8.gzip: the server has no such file (HTTP 404). Were the datasets built? Run "npm run datasets".',
    );
    expect(tries).toHaveLength(1);
  });

  it('a server error is tried again, and a later success is used', async () => {
    const { fake, tries, waits } = policy([status(503), ok(gzipped)]);
    expect(await fetchGzip(URL_, noProgress, fake)).toEqual(payload);
    expect([tries.length, waits]).toEqual([2, [1]]);
  });

  it('a stalled download is abandoned, tried three times, and named', async () => {
    const { fake, tries } = policy([stalling(gzipped, 10)]);
    const progress: [number, boolean][] = [];
    await expect(fetchGzip(URL_, (delta, _, restart) => progress.push([delta, restart]), fake)).rejects.toThrow(
      'Could not load mnist-train-images.u8.gzip: the download stalled: nothing arrived for 0 s (after 3 tries).',
    );
    expect(tries).toHaveLength(3);
    // each try counts its own bytes: progress starts over before the next
    expect(progress).toEqual([[10, false], [0, true], [10, false], [0, true], [10, false]]);
  });

  it('a connection that breaks is named as such', async () => {
    const { fake } = policy([async () => Promise.reject(new TypeError('Failed to fetch'))]);
    await expect(fetchGzip(URL_, noProgress, fake)).rejects.toThrow('Could not load mnist-train-images.u8.gzip: the connection failed (Failed to fetch) (after 3 tries).');
  });

  it('a file cut short, and a damaged one, are named as such', async () => {
    const cut = policy([ok(gzipped.subarray(0, 40), { 'content-length': String(gzipped.length) })]);
    await expect(fetchGzip(URL_, noProgress, cut.fake)).rejects.toThrow(/the file arrived cut short: 0\.0 of 0\.0 MB \(after 3 tries\)/);
    const damaged = Uint8Array.from(gzipped);
    damaged.fill(7, 20, 60);
    const broken = policy([ok(damaged)]);
    await expect(fetchGzip(URL_, noProgress, broken.fake)).rejects.toThrow(/mnist-train-images\.u8\.gzip: the file is damaged: it does not decompress/);
  });

  it('a file of the wrong size names the file and what to do', async () => {
    const spec = { ...(findDataset('mnist') as ImageDataSpec), id: 'tiny-fake', counts: { train: 2, test: 1 } };
    const sized = (length: number) => new Uint8Array(gzipSync(new Uint8Array(length)));
    const { fake } = policy([
      async () => new Response(sized(784 * 2 - 1) as BodyInit),
      async () => new Response(sized(2) as BodyInit),
      async () => new Response(sized(784) as BodyInit),
      async () => new Response(sized(1) as BodyInit),
    ]);
    await expect(loadBrowserDataset(spec, 'http://127.0.0.1/data/', () => {}, fake)).rejects.toThrow(
      'Could not load tiny-fake-train-images.u8.gzip: it holds 1,567 bytes where 1,568 were expected, so it is damaged or from another version of the app.',
    );
  });
});
