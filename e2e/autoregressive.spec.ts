/**
 * The autoregressive models in the page: a tiny network takes one step, and its views come:
 * samples drawn value by value, completions, and the receptive field of one prediction;
 * held-out bits/dim reach the chart's table. On PixelCNN, the film of one image being drawn
 * runs and stops, and 64 new samples are drawn to the end.
 */
import { expect, test, type Page } from '@playwright/test';
import { stepCount } from './readings';

/** Opens `link`, takes one step, and sees the views every autoregressive model draws. */
async function stepAndSeeViews(page: Page, link: string): Promise<void> {
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(link);
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await expect.poll(() => stepCount(page)).toBe(1);
  for (const id of ['samples', 'completions', 'receptive-field']) {
    await expect(page.locator(`[data-panel="${id}"]`)).toHaveAttribute('data-step', '1');
  }
  await expect(page.getByTestId('grid-receptive-field')).toBeVisible();
  await expect(page.getByTestId('held-out-metrics')).toContainText('what one pixel value costs to encode');
}

test('PixelCNN takes a step and shows its samples, completions and receptive field', async ({ page }, testInfo) => {
  await stepAndSeeViews(page, '/#model=pixelcnn&dataset=mnist&backend=wasm&filters=8&layers=2&batch=8');
  await page.screenshot({ path: testInfo.outputPath('pixelcnn.png') });

  // the film of one image: frames with the predicted distribution come, and Cancel stops it
  const film = page.getByTestId('job-watch-sampling');
  await film.getByRole('button', { name: 'Watch' }).click();
  await expect(film.getByTestId('histogram-film-distribution')).toBeVisible();
  await expect(film).toContainText(/Drawing value \d+ of 784/);
  await film.getByRole('button', { name: 'Cancel' }).click();
  await expect(film).toContainText('Stopped');

  // drawing new samples fills the grid in row by row, and completes
  const drawn = page.getByTestId('new-samples');
  await drawn.getByRole('button', { name: 'Draw 64' }).click();
  await expect(drawn.getByRole('button', { name: 'Draw again' })).toBeVisible();
  await expect(drawn.getByTestId('grid-new-samples')).toBeVisible();
});

const OTHERS: [string, string][] = [
  // colour emoji, from the logistic mixture
  ['PixelCNN++', '/#model=pixelcnnpp&dataset=emoji16&backend=wasm&filters=4&blocks=1&components=2&batch=4'],
  // a tiny Diagonal BiLSTM, the LSTM's state as the sampler's cache; units in fours, so that
  // the LSTM cell is our one WebAssembly kernel each way, on the page's shared heap
  ['PixelRNN', '/#model=pixelrnn&dataset=mnist&backend=wasm&layer=diagonal&units=8&layers=1&batch=8'],
];

for (const [name, link] of OTHERS) {
  test(`${name} takes a step and shows its samples, completions and receptive field`, async ({ page }, testInfo) => {
    await stepAndSeeViews(page, link);
    await page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
  });
}
