/**
 * "Export as PyTorch" in the page: a paused run downloads as a zip holding train.py, the
 * run's weights at the step it is kept at, and the dataset's files; and "Import from
 * PyTorch" opens the files train.py writes (the same format as the export's) as a run
 * that goes on from PyTorch's step.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { stepCount } from './readings';

test('a paused autoencoder run exports as a PyTorch project at its step, and comes back from PyTorch', async ({ page }) => {
  await page.goto('/#model=ae&dataset=mnist&backend=wasm&hidden=16&bottleneck=4&batch=16');
  await expect(page.getByTestId('play-pause')).toBeEnabled();
  const button = page.getByTestId('export-pytorch');
  await expect(button).toBeDisabled();
  await page.getByTestId('play-pause').click();
  await expect.poll(() => stepCount(page)).toBeGreaterThan(10);
  await page.getByTestId('play-pause').click();
  // enabled once the checkpoint of the paused step is kept
  await expect(button).toBeEnabled();
  const step = await stepCount(page);
  const downloading = page.waitForEvent('download');
  await button.click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`ae-mnist-step-${step}-pytorch.zip`);
  const files = unzipSync(new Uint8Array(readFileSync(await download.path())));
  const folder = `ae-mnist-step-${step}`;
  expect(strFromU8(files[`${folder}/train.py`])).toContain('class Model(OneNetwork)');
  const manifest = JSON.parse(strFromU8(files[`${folder}/manifest.json`]));
  expect(manifest).toMatchObject({ model: 'ae', dataset: 'mnist', step, optimizers: { network: { step } } });
  expect(manifest.arrays['encoder.1.weight']).toEqual([16, 784]);
  expect(files[`${folder}/weights.npz`].length).toBeGreaterThan(4 * 2 * 784 * 16);
  expect(files[`${folder}/data/mnist-train-images.u8.gzip`].length).toBeGreaterThan(9_000_000);

  // train.py's out/ files, as if it had trained 10 steps on: its weights.npz and manifest.json have the export's format
  const out = mkdtempSync(join(tmpdir(), 'pytorch-out-'));
  writeFileSync(join(out, 'weights.npz'), files[`${folder}/weights.npz`]);
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ ...manifest, step: step + 10 }));
  writeFileSync(join(out, 'logs.jsonl'), [{ step: step + 5, loss: 60 }, { step: step + 10, loss: 50, test_loss: 55 }].map((line) => JSON.stringify(line)).join('\n'));
  await page.getByTestId('import-pytorch').setInputFiles(['manifest.json', 'weights.npz', 'logs.jsonl'].map((name) => join(out, name)));
  await expect(page.getByText(`Opened the run continued in PyTorch, at step ${(step + 10).toLocaleString('en-US')}.`)).toBeVisible();
  await expect.poll(() => stepCount(page)).toBe(step + 10);
});
