import { expect, test } from '@playwright/test';
import { stepCount } from './readings';

/**
 * The automatic backend choice times the model on a GPU and on WebAssembly. This browser
 * has only a software GPU, which the choice never times, so a test hook has it time the
 * software one as it would a real GPU: the same worker switches between the two backends,
 * trains on the winner, and remembers the verdict across a reload.
 */
test('auto times the model on the GPU and on WebAssembly, trains on the faster, and remembers the verdict', async ({ page }) => {
  await page.addInitScript(() => Object.assign(window, { playgroundTestOverrides: { timeSoftwareGpu: true } }));
  await page.goto('/#model=ae&dataset=mnist&backend=auto&hidden=32&batch=16&bottleneck=2');
  const timing = page.getByTestId('backend-timing');
  await expect(timing).toHaveText(/^Picked by timing this model on each backend: (WebGPU|WebAssembly) [\d.]+ ms a step, (WebGPU|WebAssembly) [\d.]+ ms a step\.$/, { timeout: 90_000 });
  const text = (await timing.textContent()) ?? '';
  const winner = /backend: (WebGPU|WebAssembly)/.exec(text)![1];
  expect(text).toContain('WebGPU');
  expect(text).toContain('WebAssembly');
  await expect(page.getByTestId('backend')).toContainText(winner);

  await expect(page.getByTestId('play-pause')).toBeEnabled();
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page), { timeout: 60_000 }).toBeGreaterThan(5);
  await page.getByTestId('play-pause').click();

  await page.reload();
  await expect(timing).toHaveText(/remembered, so not timed again/, { timeout: 60_000 });
  await expect(page.getByTestId('backend')).toContainText(winner);
  await expect(page.getByTestId('play-pause')).toBeEnabled();
});
