/** A colour dataset in the page: picked from the list, trained on, drawn in its own colours. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';
import { stepCount } from './readings';

test('emoji16 with the autoencoder: trains, and the grid shows the test emoji in their own colours', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto('/#model=ae&dataset=mnist&backend=wasm&hidden=64,16&batch=16');
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByLabel('Dataset', { exact: true }).selectOption('emoji16');
  await expect(page).toHaveURL(/dataset=emoji16/);
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  const grid = page.getByTestId('grid-reconstructions');
  await expect(grid).toBeVisible();

  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(30);
  await page.getByTestId('play-pause').click();
  await expect(page.getByTestId('play-pause')).toHaveText(/Train/);

  // The grid's first row is test emoji 0..7 at their native 16 x 16 pixels, 1 pixel apart:
  // RGB as stored, not grey, not channel-swapped (emoji 1 to 6 are bright colours, 0 and 7 nearly grey).
  const size = 16;
  const row = await grid.evaluate((canvas: HTMLCanvasElement) => Array.from(canvas.getContext('2d')!.getImageData(0, 0, 8 * 17 - 1, 16).data));
  const stored = gunzipSync(readFileSync('public/data/emoji16-test-images.u8.gzip'));
  let largest = 0;
  let colourful = 0;
  for (let image = 0; image < 8; image++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const source = ((image * size + y) * size + x) * 3;
        const drawn = (y * (8 * 17 - 1) + image * 17 + x) * 4;
        const rgb = row.slice(drawn, drawn + 3);
        for (let c = 0; c < 3; c++) largest = Math.max(largest, Math.abs(rgb[c] - stored[source + c]));
        if (Math.max(...rgb) - Math.min(...rgb) > 40) colourful += 1;
      }
    }
  }
  expect(largest).toBeLessThanOrEqual(1);
  expect(colourful).toBeGreaterThan(500);

  await page.screenshot({ path: testInfo.outputPath('emoji16.png') });
});
