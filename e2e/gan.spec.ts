/**
 * The GAN's 2-D lab in the page: step the discriminator or the generator alone, train,
 * and see D's opinion of the plane refresh with the generator's points on it.
 */
import { expect, test } from '@playwright/test';
import { stepCount } from './readings';

test("the GAN steps D or G alone, trains, and shows the discriminator's view of the plane", async ({ page }) => {
  await page.goto('/#model=gan&dataset=ring&backend=wasm&hidden=32,32');
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  const field = page.locator('[data-panel="discriminator"]');
  await expect(field).toBeVisible();
  await page.getByTestId('step-discriminator').click();
  await expect.poll(() => stepCount(page)).toBe(1);
  await page.getByTestId('step-generator').click();
  await expect.poll(() => stepCount(page)).toBe(2);
  await expect(page.getByTestId('losses-chart')).toHaveAttribute('data-points', '2');
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(300);
  await page.getByTestId('play-pause').click();
  await expect(field).not.toHaveAttribute('data-step', '2');
  await expect(field.getByText('the generator\'s push on its points')).toBeVisible();
  await expect(page.locator('[data-panel="noise-grid"]')).toBeVisible();

  // once trained past the best sample quality so far, the page offers to go back to that step
  await expect(page.getByTestId('held-out-metrics')).toContainText('clusters the samples reach');
  const before = await stepCount(page);
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect.poll(() => stepCount(page)).toBe(before + 1);
  const offer = (await page.getByTestId('best-so-far').textContent()) ?? '';
  const best = Number(/at step ([\d,]+)\./.exec(offer)?.[1].replace(/,/g, ''));
  expect(best).toBeLessThanOrEqual(before);
  await page.getByTestId('go-back-to-best').click();
  await expect(page.getByTestId('notice')).toContainText(`Went back to step ${best.toLocaleString('en-US')}, where the samples were best so far`);
  await expect.poll(() => stepCount(page)).toBe(best);
});

test('slow motion shows every step; the replay slider brings back the views of an earlier step', async ({ page }) => {
  await page.goto('/#model=gan&dataset=ring&backend=wasm&hidden=32,32');
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByTestId('slow-motion').check();
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThanOrEqual(6);
  await page.getByTestId('play-pause').click();
  // a few steps a second: far from the hundreds full speed makes in the same time
  expect(await stepCount(page)).toBeLessThan(40);
  // every step had its views: the slider's frames are consecutive steps
  const slider = page.getByTestId('replay-slider');
  const shown: number[] = [];
  for (let frame = 1; frame <= 4; frame++) {
    await slider.fill(String(frame));
    await expect(page.getByTestId('replay-state')).toHaveText(/Views of step \d+/);
    shown.push(Number(/step (\d+)/.exec((await page.getByTestId('replay-state').textContent()) ?? '')![1]));
  }
  expect(shown.slice(1).map((step, i) => step - shown[i])).toEqual([1, 1, 1]);
  const field = page.locator('[data-panel="discriminator"]');
  await expect(field).toHaveAttribute('data-step', String(shown[3]));
  await page.getByTestId('replay-live').click();
  await expect(page.getByTestId('replay-state')).toHaveText('Live views');
  await expect(field).toHaveAttribute('data-step', String(await stepCount(page)));
});

test('the image GAN, class-conditional: a row of samples for each digit and the histograms of D\'s verdicts', async ({ page }) => {
  await page.goto('/#model=gan&dataset=mnist&backend=wasm&channels=8,16&batch=16&conditional=on');
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect.poll(() => stepCount(page)).toBe(1);
  const samples = page.locator('[data-panel="samples"]');
  await expect(samples).toHaveAttribute('data-step', '1');
  await expect(samples).toContainText('one row for each class');
  await expect(page.locator('[data-panel="discriminator-scores"]')).toBeVisible();
});
