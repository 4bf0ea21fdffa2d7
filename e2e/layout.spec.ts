/**
 * The page for a classroom: on a laptop, a projector, a tablet and a phone, Train, the loss
 * chart and the main view are on the first screen, and no view overlaps another. The
 * screenshots are kept with the test results, to look at.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { stepCount } from './readings';

const VIEWPORTS = [
  { name: 'laptop', width: 1400, height: 1000 },
  { name: 'projector', width: 1024, height: 768 },
  { name: 'tablet', width: 820, height: 1180 },
  { name: 'phone', width: 390, height: 844 },
] as const;

const TINY = 'model=ae&dataset=mnist&backend=wasm&hidden=64,16&batch=32';

/** The element is drawn wholly inside the first screen, without scrolling. */
async function onFirstScreen(page: Page, locator: Locator, what: string): Promise<void> {
  const box = await locator.boundingBox();
  const { height, width } = page.viewportSize()!;
  expect(box, what).not.toBeNull();
  expect(box!.y, `${what}: top`).toBeGreaterThanOrEqual(0);
  expect(box!.y + box!.height, `${what}: bottom within ${height}`).toBeLessThanOrEqual(height);
  expect(box!.x + box!.width, `${what}: right within ${width}`).toBeLessThanOrEqual(width + 1);
}

for (const viewport of VIEWPORTS) {
  test(`${viewport.name} (${viewport.width}x${viewport.height}): Train, the loss chart and the main view on the first screen; nothing overlaps`, async ({ browser }, testInfo) => {
    const page = await browser.newPage({ viewport: { width: viewport.width, height: viewport.height }, hasTouch: viewport.width < 900 });
    await page.goto(`/#${TINY}`);
    await expect(page.getByTestId('play-pause')).toBeEnabled();
    await page.getByTestId('play-pause').click();
    await expect.poll(() => stepCount(page)).toBeGreaterThan(60);
    await page.getByTestId('play-pause').click();
    await expect(page.getByTestId('grid-reconstructions')).toBeVisible();
    await page.waitForTimeout(800); // the chart's throttled redraw

    await onFirstScreen(page, page.getByTestId('play-pause'), 'Train');
    await onFirstScreen(page, page.getByTestId('loss-chart'), 'the loss chart');
    await onFirstScreen(page, page.getByTestId('grid-reconstructions'), 'the main view');
    if (viewport.width >= 1024) await onFirstScreen(page, page.locator('.model-line'), "the model's one-line explanation");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);

    // No card overlaps another.
    const boxes = await page.locator('figure.card, aside.card').evaluateAll((elements) =>
      elements.filter((element) => (element as HTMLElement).offsetParent !== null).map((element) => {
        const rect = element.getBoundingClientRect();
        return { name: element.getAttribute('aria-labelledby') ?? element.getAttribute('aria-label') ?? element.tagName, x: rect.x, y: rect.y, w: rect.width, h: rect.height };
      }),
    );
    expect(boxes.length).toBeGreaterThan(5);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        const overlap = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
        expect(overlap, `${a.name} and ${b.name}`).toBeLessThan(1);
      }
    }
    await page.screenshot({ path: testInfo.outputPath(`${viewport.name}.png`) });
    await testInfo.attach(viewport.name, { path: testInfo.outputPath(`${viewport.name}.png`), contentType: 'image/png' });
    await page.close();
  });
}

test('the learning rate changes mid-run and the run goes on; a rebuild keeps the old curve and trains on', async ({ page }) => {
  await page.goto(`/#${TINY}`);
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(40);
  const rate = page.getByRole('textbox', { name: 'Learning rate' });
  const before = await stepCount(page);
  await rate.fill('0.003');
  await rate.press('Enter');
  await expect(page).toHaveURL(/lr=0\.003/);
  await expect.poll(() => stepCount(page)).toBeGreaterThan(before + 20);
  await expect(page.getByTestId('play-pause')).toHaveText(/Pause/);

  // hidden widths need a new model: the old curve stays, faded and labelled, and training resumes
  const hidden = page.getByRole('textbox', { name: 'Hidden widths' });
  await hidden.fill('32');
  await hidden.press('Enter');
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-compared', '1');
  await expect(page.getByTestId('loss-chart')).toContainText('before: hidden widths 64,16');
  await expect(page.getByTestId('play-pause')).toHaveText(/Pause/);
  await expect.poll(() => stepCount(page)).toBeGreaterThan(20);
  await page.getByTestId('play-pause').click();
});

test('the keyboard reaches every control, run controls first; Space and S work from a slider; a refused value goes back', async ({ page }) => {
  await page.goto(`/#${TINY}`);
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByText('More settings').click();
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  const order: string[] = [];
  for (let press = 0; press < 80; press++) {
    await page.keyboard.press('Tab');
    order.push(
      await page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        if (!element) return '';
        const id = element.id ? (document.querySelector(`label[for="${element.id}"]`)?.textContent ?? '') : '';
        return `${element.tagName.toLowerCase()}:${(element.getAttribute('aria-label') ?? id ?? element.textContent ?? '').trim() || (element.textContent ?? '').trim()}`.slice(0, 60);
      }),
    );
  }
  // one full cycle through the page: stop where Tab wraps back to the Train button
  const wrap = order.indexOf(order[0], 1);
  if (wrap > 0) order.length = wrap;
  // the run controls come first, then every setting in the drawer's order, then the results
  expect(order.slice(0, 5)).toEqual(['button:▶ Train', 'button:Step', 'button:Reset', 'button:Runs', 'button:Hide settings']);
  const index = (label: RegExp) => order.findIndex((entry) => label.test(entry));
  const settings = [/^select:Model/, /^select:Dataset/, /^input:Bottleneck size/, /^input:Hidden widths/, /^input:Learning rate/, /^input:Batch size/, /^input:First test image/, /^input:Seed/, /^select:Activation/, /^select:Reconstruction loss/, /^select:Compute backend/];
  const positions = settings.map(index);
  positions.forEach((position, i) => expect(position, String(settings[i])).toBeGreaterThan(4));
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
  // the chart is one stop, named by its summary, after the settings
  expect(order.filter((entry) => entry.startsWith('div:Loss'))).toHaveLength(1);
  expect(index(/^div:Loss/)).toBeGreaterThan(Math.max(...positions));

  // Space and S from a focused slider: train, pause, step
  const slider = page.getByRole('slider', { name: 'Learning rate slider' });
  await slider.focus();
  await page.keyboard.press('Space');
  await expect(page.getByTestId('play-pause')).toHaveText(/Pause/);
  await page.keyboard.press('Space');
  await expect(page.getByTestId('play-pause')).toHaveText(/Train/);
  const paused = await stepCount(page);
  await page.keyboard.press('Shift+S');
  await expect.poll(() => stepCount(page)).toBe(paused + 1);

  // a refused value goes back in its box, and the message says what was refused
  const batch = page.getByRole('textbox', { name: 'Batch size' });
  await batch.fill('0');
  await batch.press('Enter');
  await expect(batch).toHaveValue('32');
  await expect(page.getByRole('alert').filter({ hasText: 'Batch size "0" must be between 1 and 512' })).toBeVisible();
});
