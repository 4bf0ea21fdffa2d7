import { expect, test, type Page } from '@playwright/test';

/** Each model at a size that trains in seconds on WebAssembly, and the views it must show. */
const FAMILY = [
  { model: 'conv-ae', settings: 'channels=4,8&bottleneck=2&batch=16', control: ['Channels', '4,8'], panels: ['grid-reconstructions', 'grid-samples', 'scatter-latent-scatter'] },
  { model: 'dae', settings: 'hidden=64&noise=masking&level=0.4&batch=16', control: ['Noise level', '0.4'], panels: ['grid-denoising'] },
  {
    model: 'vae',
    settings: 'hidden=32&latent=2&batch=16&k=4&beta=1.5',
    control: ['Beta (KL weight)', '1.5'],
    panels: ['grid-reconstructions', 'grid-samples', 'grid-data-vs-samples', 'bars-kl-per-dimension', 'scatter-latent-scatter', 'grid-manifold'],
  },
] as const;

async function stepCount(page: Page): Promise<number> {
  return Number(((await page.getByTestId('step-count').textContent()) ?? '').replace(/,/g, ''));
}

for (const { model, settings, control, panels } of FAMILY) {
  test(`${model} trains in the browser, shows its views, and its link restores it`, async ({ page, context }) => {
    await page.goto(`/#model=${model}&dataset=mnist&backend=wasm&${settings}`);
    await expect(page.getByTestId('play-pause')).toBeEnabled();
    for (const panel of panels) await expect(page.getByTestId(panel)).toBeVisible();
    await expect(page.getByTestId('held-out-metrics')).toBeVisible();

    await page.getByTestId('play-pause').click();
    await expect.poll(() => stepCount(page)).toBeGreaterThan(15);
    await page.getByTestId('play-pause').click();
    await expect(page.getByTestId('play-pause')).toHaveText(/Train/);
    expect(Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBeGreaterThan(0);
    if (model === 'vae') await expect(page.getByTestId('parts-chart')).toBeVisible();

    // A live parameter applies to the running model: the link changes, the step count is not reset.
    const live = page.locator('.param').filter({ has: page.locator('.live-badge') }).getByRole('textbox').first();
    if ((await live.count()) > 0) {
      const steps = await stepCount(page);
      await live.fill('0.5');
      await live.press('Enter');
      await expect(page).toHaveURL(/=0\.5(&|$)/);
      await page.waitForTimeout(800);
      expect(await stepCount(page)).toBe(steps);
      await live.fill(String(control[1]));
      await live.press('Enter');
    }

    const other = await context.newPage();
    await other.goto(page.url());
    await expect(other.getByLabel('Model')).toHaveValue(model);
    await expect(other.getByRole('textbox', { name: control[0] })).toHaveValue(control[1]);
    await expect(other.getByTestId('link-warnings')).toHaveCount(0);
  });
}

test('the latent explorer decodes the point pressed, dragged to, or moved to with the keys', async ({ page }) => {
  await page.goto('/#model=vae&dataset=mnist&backend=wasm&hidden=32&latent=2&batch=16&k=4');
  const scatter = page.getByTestId('scatter-latent-scatter');
  await expect(scatter).toBeVisible();
  const decoded = page.getByTestId('decoded-point');
  await expect(decoded).toContainText('Press or drag');

  await scatter.scrollIntoViewIfNeeded();
  const box = (await scatter.boundingBox())!;
  await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.3);
  await expect(decoded.locator('canvas')).toBeVisible();
  const first = await decoded.locator('p').textContent();
  const firstImage = await decoded.locator('canvas').evaluate((canvas: HTMLCanvasElement) => canvas.toDataURL());

  // Dragging to the far corner decodes a different code, and a different image.
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height * 0.9, { steps: 5 });
  await page.mouse.up();
  await expect(decoded.locator('p')).not.toHaveText(first ?? '');
  await expect.poll(() => decoded.locator('canvas').evaluate((canvas: HTMLCanvasElement) => canvas.toDataURL())).not.toBe(firstImage);

  // Keyboard: the arrow keys move the point (z1 grows to the right).
  const readPoint = async () => (((await decoded.locator('p').textContent()) ?? '').match(/-?[\d.]+/g) ?? []).map(Number);
  const before = await readPoint();
  await scatter.focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(async () => (await readPoint())[0]).toBeGreaterThan(before[0]);
  expect((await readPoint())[1]).toBeCloseTo(before[1], 5);
});
