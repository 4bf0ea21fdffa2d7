/** What the page shows, read as numbers: the step counter and the latest held-out loss under the lead chart. */
import type { Page } from '@playwright/test';

const number = (text: string) => Number(text.replace(/,/g, ''));

export async function stepCount(page: Page): Promise<number> {
  return number((await page.getByTestId('step-count').textContent()) ?? '');
}

/** The held-out loss and its step, from the lead chart's caption; { loss: NaN, step: -1 } before there is one. */
export async function heldOutLoss(page: Page): Promise<{ loss: number; step: number }> {
  const match = /held-out ([\d.,]+) at step ([\d,]+)/.exec((await page.getByTestId('loss-summary').textContent()) ?? '');
  return match ? { loss: number(match[1]), step: number(match[2]) } : { loss: NaN, step: -1 };
}
