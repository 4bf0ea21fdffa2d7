/**
 * The restricted Boltzmann machine in the page: a small one trains a few seconds on MNIST,
 * and its filters, Gibbs chain, reconstructions and samples render; the free energy of
 * held-out images reaches the figures.
 */
import { expect, test } from '@playwright/test';
import { stepCount } from './readings';

test('the RBM trains on MNIST: the filters, the Gibbs chain and the reconstructions render', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto('/#model=rbm&dataset=mnist&backend=wasm&training=pcd&chains=16&hidden_units=32&sample_steps=20&ais_temperatures=50&ais_runs=10&batch=16');
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(20);
  await page.getByTestId('play-pause').click();
  for (const id of ['filters', 'gibbs-chain', 'reconstructions', 'samples', 'persistent-chains']) await expect(page.locator(`[data-panel="${id}"]`)).toBeVisible();
  await expect(page.locator('[data-panel="gibbs-chain"]')).toContainText('Each row one chain');
  await expect(page.getByTestId('held-out-metrics')).toContainText('free energy of images');
  await page.screenshot({ path: testInfo.outputPath('rbm.png') });
});
