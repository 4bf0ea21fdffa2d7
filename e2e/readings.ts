/** What the page shows, read as numbers: the step counter and the latest held-out loss under the lead chart. */
import { expect, type Locator, type Page } from '@playwright/test';

const number = (text: string) => Number(text.replace(/,/g, ''));

export async function stepCount(page: Page): Promise<number> {
  return number((await page.getByTestId('step-count').textContent()) ?? '');
}

/** The held-out loss and its step, from the lead chart's caption; { loss: NaN, step: -1 } before there is one. */
export async function heldOutLoss(page: Page): Promise<{ loss: number; step: number }> {
  const match = /held-out ([\d.,]+) at step ([\d,]+)/.exec((await page.getByTestId('loss-summary').textContent()) ?? '');
  return match ? { loss: number(match[1]), step: number(match[2]) } : { loss: NaN, step: -1 };
}

/**
 * A canvas's pixels as a data URL once something is drawn on it (the page draws canvases in
 * queued tasks after a render: read too soon, a canvas is still blank, and a later "changed"
 * check would pass without proving anything).
 */
export async function drawnPixels(locator: Locator): Promise<string> {
  const read = () =>
    locator.evaluate((canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      return data.some((value, i) => i % 4 === 3 && value > 0) ? canvas.toDataURL() : '';
    });
  await expect.poll(read, { message: 'the canvas is still blank' }).not.toBe('');
  return read();
}
