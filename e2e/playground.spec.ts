import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { drawnPixels, heldOutLoss, stepCount } from './readings';

/** A small autoencoder, so that a software GPU trains it in seconds. */
const TINY = 'model=ae&dataset=mnist&hidden=32&batch=16&bottleneck=2';

async function waitUntilReady(page: Page) {
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await expect(page.getByTestId('grid-samples')).toBeVisible();
}

const canvasPixels = (page: Page, testId: string) =>
  page.getByTestId(testId).evaluate((canvas: HTMLCanvasElement) => canvas.toDataURL());

test('trains the autoencoder on WebGPU: the loss falls and the samples change', async ({ page }) => {
  await page.goto(`/#${TINY}&backend=webgpu`);
  await expect(page.getByTestId('backend')).toContainText('WebGPU');
  await waitUntilReady(page);
  const before = await heldOutLoss(page);
  expect(before.step).toBe(0);
  const samplesBefore = await drawnPixels(page.getByTestId('grid-samples'));

  await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveText(/Pause/);
  await expect.poll(() => stepCount(page), { timeout: 150_000 }).toBeGreaterThanOrEqual(40);
  // Paused, the cheap held-out figures are brought up to date at once. While training they
  // wait their turn in the refresh budget, behind the first sample-quality figures (1,000
  // samples through the classifier), which on a software GPU can hold training for minutes.
  await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveText(/Train/);
  await expect.poll(async () => (await heldOutLoss(page)).step, { timeout: 60_000 }).toBeGreaterThan(0);

  const after = await heldOutLoss(page);
  expect(after.loss).toBeLessThan(before.loss);
  expect(Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBeGreaterThan(0);
  await expect.poll(() => canvasPixels(page, 'grid-samples')).not.toBe(samplesBefore);
  // Paused means paused: the step count holds still.
  const paused = await stepCount(page);
  await page.waitForTimeout(1500);
  expect(await stepCount(page)).toBe(paused);
});

test('trains on WebAssembly with threads, and step and reset work', async ({ page }) => {
  await page.goto(`/#${TINY}&backend=wasm`);
  await expect(page.getByTestId('backend')).toHaveText(/WebAssembly/);
  await waitUntilReady(page);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

  await page.getByRole('button', { name: 'Step' }).click();
  await expect(page.getByTestId('step-count')).toHaveText('1');
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(20);
  await page.getByTestId('play-pause').click();
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(page.getByTestId('step-count')).toHaveText('0');
  await waitUntilReady(page);
  await expect(page.getByTestId('scatter-latent-scatter')).toBeVisible();
});

test('the address bar is a share link that restores the configuration', async ({ page, context }) => {
  await page.goto(`/#${TINY}&backend=cpu`);
  await waitUntilReady(page);
  await page.getByLabel('Dataset', { exact: true }).selectOption('fashion-mnist');
  const bottleneck = page.getByRole('textbox', { name: 'Bottleneck size' });
  await bottleneck.fill('3');
  await bottleneck.press('Enter');
  const rate = page.getByRole('textbox', { name: 'Learning rate' });
  await rate.fill('0.003');
  await rate.press('Enter');
  // a setting for the curious, folded under "More settings"
  await page.getByText('More settings').click();
  await page.getByLabel('Reconstruction loss').selectOption('bce');

  await expect(page).toHaveURL(/dataset=fashion-mnist/);
  const link = page.url();
  expect(link).toContain('bottleneck=3');
  expect(link).toContain('lr=0.003');
  expect(link).toContain('hidden=32');
  expect(link).toContain('recon=bce');

  const other = await context.newPage();
  await other.goto(link);
  await expect(other.getByLabel('Dataset', { exact: true })).toHaveValue('fashion-mnist');
  await expect(other.getByRole('textbox', { name: 'Bottleneck size' })).toHaveValue('3');
  await expect(other.getByRole('textbox', { name: 'Learning rate' })).toHaveValue('0.003');
  await expect(other.getByRole('textbox', { name: 'Hidden widths' })).toHaveValue('32');
  await expect(other.getByLabel('Reconstruction loss')).toHaveValue('bce');
  await expect(other.getByLabel('Compute backend')).toHaveValue('cpu');
  await expect(other.getByTestId('link-warnings')).toHaveCount(0);
});

test('a broken or hostile link keeps what it can and says what it ignored', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(
    '/#model=ae&backend=cpu&hidden=32&lr=abc&bottleneck=999&dataset=mnist&colour=<img src=x onerror=alert(1)>&%E0%A4%A&batch=<script>alert(2)</script>',
  );
  const warnings = page.getByTestId('link-warnings');
  await expect(warnings).toBeVisible();
  await expect(warnings).toContainText('Learning rate "abc" is not a number');
  await expect(warnings).toContainText('Bottleneck size "999" must be between 1 and 64');
  await expect(warnings).toContainText('unknown setting "colour"');
  await expect(warnings).toContainText('not a key=value pair');
  // Valid parts kept, the rest at defaults.
  await expect(page.getByRole('textbox', { name: 'Hidden widths' })).toHaveValue('32');
  await expect(page.getByRole('textbox', { name: 'Learning rate' })).toHaveValue('0.001');
  await expect(page.getByRole('textbox', { name: 'Batch size' })).toHaveValue('64');
  // Nothing from the link became markup.
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(page.locator('main script, [data-testid="link-warnings"] script')).toHaveCount(0);
  await waitUntilReady(page);
  expect(dialogs).toEqual([]);
  // The page still works, and the link was rewritten to the configuration in use.
  await expect(page).toHaveURL(/lr=0\.001/);
  await page.getByRole('button', { name: 'Dismiss' }).first().click();
  await expect(warnings).toHaveCount(0);
});

test('a bad value typed into a control is named and changes nothing', async ({ page }) => {
  await page.goto(`/#${TINY}&backend=cpu`);
  await waitUntilReady(page);
  const batch = page.getByRole('textbox', { name: 'Batch size' });
  await batch.fill('-5');
  await batch.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'Batch size "-5" must be between 1 and 512' })).toBeVisible();
  await expect(batch).toHaveValue('16');
  await expect(page).toHaveURL(/batch=16/);
});

test('an image grid saves as a sharp PNG, four screen pixels to each image pixel, named after the run', async ({ page }) => {
  await page.goto(`/#${TINY}&backend=wasm`);
  await waitUntilReady(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save "Generated samples" as a PNG image' }).click()]);
  expect(download.suggestedFilename()).toBe('ae-mnist-samples-step0.png');
  const bytes = readFileSync(await download.path());
  // PNG signature, then the IHDR chunk's width and height (big-endian, bytes 16 to 23).
  expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
  // 32 samples of 28 x 28 in 8 columns and 4 rows with 1-pixel gaps, scaled by 4.
  expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([(8 * 29 - 1) * 4, (4 * 29 - 1) * 4]);
});
