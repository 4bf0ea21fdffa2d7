import { expect, test, type Page } from '@playwright/test';
import type { BrowserBenchResult } from '../src/bench/protocol';

/**
 * Our WebAssembly kernels' products on a second thread (src/core/wasm-simd/kernel-threads.ts)
 * in the browser, as the app starts them: workers made from blobs inside the training
 * worker, under the page's cross-origin isolation and content security policy. The
 * benchmark's page asks for the thread count (the app's own: src/worker/kernel-threads.ts,
 * defaultKernelThreads), trains the energy model a few steps, and says what ran: the same
 * loss as on one thread, to the bit, with bands of its products run by the second thread.
 * PixelCNN++'s ELU and gate are element-wise calls large enough to be cut too
 * (unit-bands.ts), and its Winograd passes' images.
 */
async function benchOn(page: Page, threads: number, model = 'ebm'): Promise<BrowserBenchResult> {
  await page.goto(`bench.html?backend=wasm&model=${model}&dataset=mnist&steps=3&warmup=1&threads=${threads}`);
  const handle = await page.waitForFunction(() => (window as { __bench?: unknown }).__bench, null, { timeout: 120_000, polling: 250 });
  return (await handle.jsonValue()) as BrowserBenchResult;
}

test('our WASM kernels share their products with a second thread and give the one-thread numbers', async ({ page }) => {
  const one = await benchOn(page, 1);
  const two = await benchOn(page, 2);
  expect([one.status, one.reason], 'one thread').toEqual(['ok', undefined]);
  expect([two.status, two.reason], 'two threads').toEqual(['ok', undefined]);
  expect(one.crossOriginIsolated).toBe(true);
  expect([one.kernelThreads, two.kernelThreads]).toEqual([1, 2]);
  expect(one.kernelThreadStats).toBeUndefined();
  const stats = two.kernelThreadStats!;
  expect(stats.jobs).toBeGreaterThan(0);
  // the second thread took bands of them: the training worker ran fewer than all
  expect(stats.bandsHere).toBeGreaterThan(0);
  expect(stats.bandsHere).toBeLessThan(stats.bands);
  expect(typeof one.loss).toBe('number');
  expect(two.loss).toBe(one.loss);
});

test('PixelCNN++ cuts its element-wise kernels and its convolutions\' images over a second thread too, with the one-thread loss', async ({ page }) => {
  const one = await benchOn(page, 1, 'pixelcnnpp');
  const two = await benchOn(page, 2, 'pixelcnnpp');
  expect([two.status, two.reason, two.kernelThreads]).toEqual(['ok', undefined, 2]);
  // its ELUs and gates over 17,248 pixels of 16 channels, at least, every step
  expect(two.kernelThreadStats!.elementwiseJobs).toBeGreaterThan(0);
  // its Winograd forward passes (and their input gradients) recorded image by image and run as bands (heap.ts, eachImage)
  expect(two.kernelThreadStats!.programJobs).toBeGreaterThan(0);
  expect(typeof one.loss).toBe('number');
  expect(two.loss).toBe(one.loss);
});
