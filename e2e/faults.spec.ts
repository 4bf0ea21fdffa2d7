/**
 * Faults a classroom meets: the page must say what happened and be one click from training
 * again. The worker is failed through `playgroundDiagnostics`, the hooks the page exposes
 * for these tests; downloads through routes that stall or cut files short.
 */
import { gzipSync } from 'node:zlib';
import { expect, test, type Page } from '@playwright/test';
import { stepCount } from './readings';

const TINY = 'model=ae&dataset=mnist&backend=wasm&hidden=32&batch=16';

async function trainUntil(page: Page, steps: number): Promise<void> {
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(steps);
}

const fault = (page: Page, kind: string) =>
  page.evaluate((name) => (window as unknown as { playgroundDiagnostics: { fault(kind: string): void } }).playgroundDiagnostics.fault(name), kind);

for (const [how, act] of [
  ['terminated by the page', (page: Page) => page.evaluate(() => (window as unknown as { playgroundDiagnostics: { terminateWorker(): void } }).playgroundDiagnostics.terminateWorker())],
  ['closed by itself', (page: Page) => fault(page, 'close')],
] as const) {
  test(`a worker ${how} mid-run is replaced: the page says so and trains again`, async ({ page }) => {
    await page.goto(`/#${TINY}`);
    await trainUntil(page, 20);
    await act(page);
    await expect(page.getByTestId('notice')).toContainText('The training worker stopped answering; the page started a new one. The run starts again from step 0.', { timeout: 45_000 });
    await trainUntil(page, 5);
    await page.getByTestId('play-pause').click();
    await expect(page.getByTestId('play-pause')).toHaveText(/Train/);
  });
}

test('a reset the page never sent takes the worker\'s run away: the page notices and builds its run again', async ({ page }) => {
  await page.goto(`/#${TINY}`);
  await trainUntil(page, 10);
  await fault(page, 'foreign-reset');
  await expect(page.getByTestId('notice')).toContainText('The training worker had lost this run; it was built again.');
  await trainUntil(page, 5);
  await page.getByTestId('play-pause').click();
});

test('an uncaught exception in the worker is reported, and training goes on under the same controls', async ({ page }) => {
  await page.goto(`/#${TINY}`);
  await trainUntil(page, 10);
  await fault(page, 'throw');
  await expect(page.getByTestId('error')).toContainText('Something went wrong in the training worker: a test fault thrown outside any handler');
  const steps = await stepCount(page);
  await expect.poll(() => stepCount(page)).toBeGreaterThan(steps + 10);
  await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveText(/Train/);
});

test('running out of memory replaces the worker and suggests a smaller setting; a too-large setting is refused before it starts', async ({ page }) => {
  await page.goto(`/#${TINY}`);
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await fault(page, 'exhaust-memory');
  await expect(page.getByTestId('notice')).toContainText('ran out of memory', { timeout: 60_000 });
  await expect(page.getByTestId('notice')).toContainText('choose a smaller setting');
  await trainUntil(page, 5);
  await page.getByTestId('play-pause').click();

  await page.goto('/#model=conv-ae&dataset=mnist&backend=wasm&channels=128,128,128&batch=512');
  await expect(page.getByTestId('error')).toContainText('would need about 2.8 GB of memory for a training step');
  await expect(page.getByTestId('error')).toContainText('Lower the batch size or the channels.');
  await expect(page.getByTestId('play-pause')).toBeDisabled();
});

test.describe('downloads', () => {
  test.beforeEach(async ({ page }) => {
    await page.addInitScript(() => Object.assign(window, { playgroundTestOverrides: { downloadStallMs: 1500 } }));
  });

  test('a stalled dataset request times out with a message that names the file', async ({ page }) => {
    await page.route('**/fashion-mnist-train-images.u8.gzip', () => {
      /* never answered: a stalled connection */
    });
    await page.goto('/#model=ae&dataset=fashion-mnist&backend=wasm');
    await expect(page.locator('.status-bar')).toContainText('Loading Fashion-MNIST');
    await expect(page.getByTestId('error')).toContainText(
      'Could not load fashion-mnist-train-images.u8.gzip: the download stalled: nothing arrived for 2 s (after 3 tries).',
      { timeout: 30_000 },
    );
    await expect(page.locator('.status-bar')).not.toContainText('Starting the compute backend');
  });

  test('a truncated dataset file is named', async ({ page }) => {
    const full = gzipSync(new Uint8Array(9945));
    await page.route('**/fashion-mnist-test-labels.u8.gzip', (route) =>
      route.fulfill({ status: 200, headers: { 'content-length': String(full.length), 'cross-origin-resource-policy': 'same-origin' }, body: full.subarray(0, 12) }),
    );
    await page.goto('/#model=ae&dataset=fashion-mnist&backend=wasm');
    await expect(page.getByTestId('error')).toContainText('Could not load fashion-mnist-test-labels.u8.gzip:', { timeout: 30_000 });
    await expect(page.getByTestId('error')).toContainText(/cut short|damaged/);
  });
});

test('a link with a long, right-to-left or control-character value gets short, quoted echoes', async ({ page }) => {
  const hostile = encodeURIComponent(`\u202eSign in again at https://evil.example/login ${'x'.repeat(3000)}\u0000\u0007`);
  await page.goto(`/#model=vea&backend=wasm&hidden=${hostile}&${hostile}=1`);
  const items = page.getByTestId('link-warnings').locator('li');
  await expect(items.first()).toBeVisible();
  await expect(page.getByTestId('link-warnings')).toContainText('Unknown model "vea" (did you mean vae?)');
  for (const text of await items.allTextContents()) {
    expect(text.length).toBeLessThan(160);
    expect(text).toMatch(/^[\x20-\x7e…]*$/);
  }
});

test('50 link changes in a burst leave Train usable within a second of the last', async ({ page }) => {
  await page.goto(`/#${TINY}`);
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  const last = await page.evaluate(async () => {
    for (let seed = 1; seed <= 50; seed++) {
      window.location.hash = `model=ae&dataset=mnist&backend=wasm&hidden=32&batch=16&seed=${seed}`;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return performance.now();
  });
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  const ready = await page.evaluate(() => performance.now());
  expect(ready - last).toBeLessThan(1000);
  await page.getByText('More settings').click();
  await expect(page.getByRole('textbox', { name: 'Seed' })).toHaveValue('50');
});

test('the server sends a Content-Security-Policy and friends, the page trains under it, and a missing file is a 404', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto(`/#${TINY}`);
  const headers = response!.headers();
  const scriptSrc = headers['content-security-policy'].split(';').find((directive) => directive.trim().startsWith('script-src '))!;
  expect(scriptSrc.trim()).toBe("script-src 'self' 'wasm-unsafe-eval' blob:");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
  await trainUntil(page, 10);
  await page.getByTestId('play-pause').click();
  await expect(page.locator('.formula .katex')).toBeVisible();
  expect(violations).toEqual([]);
  expect((await page.request.get('/no-such-file.js')).status()).toBe(404);
});
