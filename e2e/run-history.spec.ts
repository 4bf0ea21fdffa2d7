/**
 * Runs are kept: a reload mid-run goes on from the last checkpoint (the page says so), and
 * a run exported as a file comes back from it; a damaged file is refused, changing nothing.
 * The checkpoint interval is shortened through the page's test overrides.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { stepCount } from './readings';

const RING = 'model=vae&dataset=ring&backend=wasm&hidden=16&batch=16';
const number = (text: string | null) => Number((text ?? '').replace(/[^\d]/g, ''));
const keptAt = async (page: Page) => number(await page.getByTestId('saved-step').textContent());

test.beforeEach(async ({ context }) => {
  await context.addInitScript(() => Object.assign(window, { playgroundTestOverrides: { checkpointMs: 1500 } }));
});

test('a reload mid-run goes on from its last checkpoint, and says so', async ({ page }) => {
  await page.goto(`/#${RING}`);
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByTestId('play-pause').click();
  await expect.poll(() => keptAt(page).catch(() => 0)).toBeGreaterThan(50);
  const saved = await keptAt(page);
  await page.reload();
  await expect(page.getByTestId('notice')).toContainText('goes on from its checkpoint at step');
  const resumedFrom = number(/checkpoint at step ([\d,]+)/.exec((await page.getByTestId('notice').textContent()) ?? '')?.[1] ?? '');
  expect(resumedFrom).toBeGreaterThanOrEqual(saved);
  // it was training, so it goes on training, past its checkpoint, with its curve kept
  await expect.poll(() => stepCount(page)).toBeGreaterThan(resumedFrom + 20);
  await expect(page.getByTestId('play-pause')).toHaveText(/Pause/);
  await expect(page.getByTestId('loss-chart')).not.toHaveAttribute('data-points', '0');
});

test('a worker lost mid-run is replaced and the run goes on from its checkpoint', async ({ page }) => {
  await page.goto(`/#${RING}`);
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByTestId('play-pause').click();
  await expect.poll(() => keptAt(page).catch(() => 0)).toBeGreaterThan(30);
  await page.evaluate(() => (window as unknown as { playgroundDiagnostics: { terminateWorker(): void } }).playgroundDiagnostics.terminateWorker());
  await expect(page.getByTestId('notice')).toContainText('The run goes on from its checkpoint at step', { timeout: 45_000 });
  const from = number(/checkpoint at step ([\d,]+)/.exec((await page.getByTestId('notice').textContent()) ?? '')?.[1] ?? '');
  expect(from).toBeGreaterThan(30);
  await expect.poll(() => stepCount(page)).toBeGreaterThan(from + 20);
});

test('export a run as a file, import it back and open it; a damaged file is refused', async ({ page }, testInfo) => {
  await page.goto(`/#${RING}`);
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(60);
  await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveText(/Train/);
  await expect.poll(() => keptAt(page).catch(() => 0)).toBe(await stepCount(page));
  const saved = await keptAt(page);

  await page.getByTestId('runs-toggle').click();
  await expect(page.getByTestId('run-item')).toHaveCount(1);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-run').click()]);
  const file = testInfo.outputPath('ring.run.json');
  await download.saveAs(file);
  expect(download.suggestedFilename()).toMatch(/step-\d+\.run\.json$/);

  // a damaged copy: refused with a sentence, and the list is as it was
  const text = await readFile(file, 'utf8');
  await page.getByTestId('import-run').setInputFiles({ name: 'damaged.run.json', mimeType: 'application/json', buffer: Buffer.from(text.slice(0, text.length / 2)) });
  await expect(page.getByTestId('run-history-message')).toContainText('not JSON');
  await expect(page.getByTestId('run-item')).toHaveCount(1);

  await page.getByTestId('import-run').setInputFiles(file);
  await expect(page.getByTestId('run-history-message')).toContainText('Imported');
  await expect(page.getByTestId('run-item')).toHaveCount(2);
  // the import is the newest: open it, and it stands at the exported step
  await page.getByTestId('open-run').first().click();
  await expect(page.getByTestId('notice')).toContainText(`at step ${saved.toLocaleString('en-US')}`);
  await expect.poll(() => stepCount(page)).toBe(saved);
  await expect(page.getByTestId('play-pause')).toBeEnabled();
});
