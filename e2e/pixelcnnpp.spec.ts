/**
 * PixelCNN++ in the page: a tiny network takes one step on colour emoji, and its views
 * come: samples drawn value by value from the logistic mixture, completions, and the
 * receptive field of one prediction; held-out bits/dim reach the chart's table.
 */
import { expect, test } from '@playwright/test';
import { stepCount } from './readings';

test('PixelCNN++ takes a step on colour images and shows its samples, completions and receptive field', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto('/#model=pixelcnnpp&dataset=emoji16&backend=wasm&filters=4&blocks=1&components=2&batch=4');
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect.poll(() => stepCount(page)).toBe(1);
  for (const id of ['samples', 'completions', 'receptive-field']) {
    await expect(page.locator(`[data-panel="${id}"]`)).toHaveAttribute('data-step', '1');
  }
  await expect(page.getByTestId('grid-receptive-field')).toBeVisible();
  await expect(page.getByTestId('held-out-metrics')).toContainText('what one pixel value costs to encode');
  await page.screenshot({ path: testInfo.outputPath('pixelcnnpp.png') });
});
