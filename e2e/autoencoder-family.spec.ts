import { expect, test } from '@playwright/test';
import { drawnPixels, heldOutLoss, stepCount } from './readings';

/** The latent explorer's panels, which every autoencoder shows. */
const EXPLORER = ['scatter-latent-scatter', 'grid-interpolation', 'grid-traversal', 'sliders-sliders'];

/**
 * Each model at a size that trains in seconds on WebAssembly, the views it must show, a
 * control the link sets, and a live control with a new value for it.
 */
const FAMILY = [
  {
    model: 'conv-ae',
    settings: 'channels=4,8&bottleneck=2&batch=16',
    control: ['Channels', '4,8'],
    live: ['First test image', '7'],
    panels: ['grid-reconstructions', 'grid-samples', ...EXPLORER],
  },
  { model: 'dae', settings: 'hidden=64&noise=masking&level=0.4&batch=16', control: ['Noise level', '0.4'], live: ['Noise level', '0.5'], panels: ['grid-denoising', ...EXPLORER] },
  {
    model: 'vae',
    settings: 'hidden=32&latent=2&batch=16&k=4&beta=1.5',
    control: ['Beta (KL weight)', '1.5'],
    live: ['Beta (KL weight)', '0.5'],
    panels: ['grid-reconstructions', 'grid-samples', 'grid-data-vs-samples', 'bars-kl-per-dimension', ...EXPLORER],
  },
] as const;

for (const { model, settings, control, live, panels } of FAMILY) {
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
    if (model === 'vae') {
      await expect(page.getByTestId('parts-chart')).toBeVisible();
      // Which likelihood the numbers are under, readable without a hover.
      await page.getByTestId('metrics-help').getByText('What these numbers mean').click();
      await expect(page.getByTestId('metrics-help')).toContainText('Under the likelihood of the "Reconstruction term" setting');
    }

    // A live parameter applies to the running model: the link changes, the step count is not reset.
    const liveBox = page.getByRole('textbox', { name: live[0] });
    const original = await liveBox.inputValue();
    const steps = await stepCount(page);
    await liveBox.fill(live[1]);
    await liveBox.press('Enter');
    await expect(page).toHaveURL(new RegExp(`=${live[1].replace('.', '\\.')}(&|$)`));
    await page.waitForTimeout(800);
    expect(await stepCount(page)).toBe(steps);
    await liveBox.fill(original);
    await liveBox.press('Enter');

    const other = await context.newPage();
    await other.goto(page.url());
    await expect(other.getByLabel('Model', { exact: true })).toHaveValue(model);
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
  const firstImage = await drawnPixels(decoded.locator('canvas'));

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

test('the latent sliders edit one image\'s code, decoded live, and go back to it', async ({ page }) => {
  await page.goto('/#model=ae&dataset=mnist&backend=wasm&hidden=32&bottleneck=3&batch=16&from=5');
  const sliders = page.getByTestId('sliders-sliders');
  await expect(sliders).toBeVisible();
  await expect(page.getByRole('heading', { name: /Edit the code of test image 5/ })).toBeVisible();
  // Trained a little, so that the decoder draws strokes rather than a flat grey.
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(100);
  await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveText(/Train/);
  await page.waitForTimeout(1000); // the views of the last step
  const decoded = page.getByTestId('sliders-decoded');
  const image = () => decoded.locator('canvas').evaluate((canvas: HTMLCanvasElement) => canvas.toDataURL());
  const before = await image();
  const back = sliders.getByRole('button', { name: "Back to the image's code" });
  await expect(back).toBeDisabled();

  // Keyboard on a native range input: each press moves z1 by one step of 200.
  const z1 = sliders.getByRole('slider', { name: 'z1' });
  const start = Number(await z1.inputValue());
  await z1.focus();
  for (let press = 0; press < 40; press++) await page.keyboard.press('ArrowRight');
  await expect.poll(async () => Number(await z1.inputValue())).toBeGreaterThan(start);
  await expect(decoded).toContainText('edited code');
  await expect.poll(image).not.toBe(before);
  // A decoded image, not a flat field (what a NaN code gives).
  const greyLevels = () =>
    decoded.locator('canvas').evaluate((canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      return new Set(data.filter((_, i) => i % 4 === 0)).size;
    });
  expect(await greyLevels()).toBeGreaterThan(20);
  await expect(back).toBeEnabled();

  // Back to the image's own code: its reconstruction again, and the slider where it started.
  await back.click();
  await expect(decoded).toContainText('its code, decoded');
  expect(Number(await z1.inputValue())).toBeCloseTo(start, 5);
  await expect.poll(image).toBe(before);
});

test('2-D points: a 1-D bottleneck on the spiral draws the curve it learned, and the VAE trains on the ring', async ({ page }) => {
  await page.goto('/#model=ae&dataset=spiral&backend=wasm&bottleneck=1&hidden=32,16&batch=32');
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  const learned = page.getByTestId('points-learned-manifold');
  await expect(learned).toBeVisible();
  // data, reconstructions joined to their points, and the decoded curve, in one plot
  await expect(learned).toHaveAttribute('aria-label', /data \(test points\).*point to its reconstruction.*reconstructions.*decoded curve/);
  await expect(page.getByTestId('points-samples')).toBeVisible();
  // settings for images are not offered on points; the data's own noise is
  await expect(page.getByRole('textbox', { name: 'First test image' })).toHaveCount(0);
  await expect(page.getByRole('textbox', { name: 'Data noise' })).toHaveValue('0.05');
  await expect.poll(async () => (await heldOutLoss(page)).step).toBe(0);
  const start = await heldOutLoss(page);

  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(400);
  await page.getByTestId('play-pause').click();
  await expect.poll(async () => (await heldOutLoss(page)).step).toBeGreaterThan(400);
  expect((await heldOutLoss(page)).loss).toBeLessThan(0.5 * start.loss);

  // The VAE keeps the dataset when it trains on it; its likelihood on points is a Gaussian.
  await page.getByLabel('Model', { exact: true }).selectOption('vae');
  await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('spiral');
  await page.getByLabel('Dataset', { exact: true }).selectOption('ring');
  await expect(page.getByLabel('Reconstruction term')).toHaveValue('gaussian');
  await expect(page).toHaveURL(/model=vae&dataset=ring/);
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await expect(page.getByTestId('points-learned-manifold')).toBeVisible();
  await expect(page.getByTestId('bars-kl-per-dimension')).toBeVisible();
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(200);
  await page.getByTestId('play-pause').click();
  await expect.poll(async () => (await heldOutLoss(page)).step).toBeGreaterThan(200);
  await expect(page.getByTestId('loss-chart')).toBeVisible();
  // new samples on request, as a job in the worker
  await page.getByTestId('new-samples').getByRole('button', { name: 'Draw 64' }).click();
  await expect(page.getByTestId('points-new-samples')).toHaveAttribute('aria-label', /new samples/);

  // a model that needs images is offered none of the 2-D sets, and a link that pairs them says so
  await page.getByLabel('Model', { exact: true }).selectOption('conv-ae');
  await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('mnist');
  await expect(page.getByLabel('Dataset', { exact: true }).locator('option')).toHaveText(['MNIST digits', 'Fashion-MNIST', 'Colored MNIST', 'Emoji 16 x 16', 'Emoji 32 x 32']);
  await page.goto('/#model=conv-ae&dataset=spiral&backend=wasm&channels=4,8');
  await expect(page.getByTestId('link-warnings')).toContainText('Convolutional autoencoder trains on images, and Spiral is a set of 2-D points; using MNIST digits instead.');
  await expect(page.getByLabel('Model', { exact: true })).toHaveValue('conv-ae');
  await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('mnist');
});
