/**
 * The energy-based model's 2-D lab in the page: it trains, the energy landscape renders
 * with its contour lines beside the two densities, and drawing samples animates Langevin
 * chains on the landscape.
 */
import { expect, test } from '@playwright/test';
import { stepCount } from './readings';

test('the EBM trains on the ring: the landscape and densities render, and drawn samples roll downhill as Langevin chains', async ({ page }) => {
  await page.goto('/#model=ebm&dataset=ring&backend=wasm&hidden=16,16&langevin_steps=5');
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(30);
  await page.getByTestId('play-pause').click();
  const landscape = page.locator('[data-panel="energy"]');
  await expect(landscape).toBeVisible();
  await expect(landscape).toContainText('contour lines of E');
  await expect(page.locator('[data-panel="model-density"]')).toBeVisible();
  await expect(page.locator('[data-panel="data-density"]')).toBeVisible();
  await expect(page.getByTestId('held-out-metrics')).toContainText("how far its density is from the data's");
  await page.getByRole('button', { name: /^Draw/ }).click();
  const drawn = page.getByTestId('new-samples');
  await expect(drawn).toContainText('paths of the chains');
  await expect(drawn).toContainText('step 15 of 15');
  await expect(drawn).not.toContainText('detached');
});
