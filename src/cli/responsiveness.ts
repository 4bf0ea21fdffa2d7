/**
 * How responsive the real page stays while it trains: main-thread long tasks (over 50 ms,
 * as Chromium's Long Tasks API counts them) during a stretch of training, with the steps
 * the worker made meanwhile. Training runs in a worker, so the page's own work (charts,
 * grids, messages) is what shows up here. Part of `npm run bench`: a report, not a test.
 */
import type { Browser } from '@playwright/test';
import type { WatchedPage } from './bench-options';

export interface ResponsivenessRow {
  model: string;
  dataset: string;
  backend: string;
  seconds: number;
  steps?: number;
  longTasks?: number;
  longestMs?: number;
  /** Time spent in long tasks, as a share of the stretch. */
  blockedShare?: number;
  note: string;
}

/** Trains the page's model on its dataset and backend in the app for `seconds`, watching the main thread. */
export async function measureResponsiveness(browser: Browser, baseUrl: string, { model, dataset, backend }: WatchedPage, seconds: number, timeoutS: number): Promise<ResponsivenessRow> {
  const row: ResponsivenessRow = { model, dataset, backend, seconds, note: '' };
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${baseUrl}#model=${model}&dataset=${dataset}&backend=${backend}`);
    const play = page.getByTestId('play-pause');
    await play.waitFor({ state: 'visible', timeout: timeoutS * 1000 });
    await page.waitForFunction(() => !(document.querySelector('[data-testid="play-pause"]') as HTMLButtonElement | null)?.disabled, null, {
      timeout: timeoutS * 1000,
    });
    const stepCount = async () => Number(((await page.getByTestId('step-count').textContent()) ?? '0').replace(/,/g, ''));
    await page.evaluate(() => {
      const tasks: number[] = [];
      (window as { __longTasks?: number[] }).__longTasks = tasks;
      new PerformanceObserver((list) => list.getEntries().forEach((entry) => tasks.push(entry.duration))).observe({ type: 'longtask' });
    });
    const before = await stepCount();
    await play.click();
    await page.waitForTimeout(seconds * 1000);
    const durations = await page.evaluate(() => (window as { __longTasks?: number[] }).__longTasks ?? []);
    await play.click();
    Object.assign(row, {
      steps: (await stepCount()) - before,
      longTasks: durations.length,
      longestMs: durations.length ? Math.max(...durations) : 0,
      blockedShare: durations.reduce((sum, ms) => sum + ms, 0) / (seconds * 1000),
    });
    const backendBadge = (await page.getByTestId('backend').textContent().catch(() => null)) ?? '';
    row.note = backendBadge ? `ran on ${backendBadge.trim()}` : '';
  } catch (error) {
    row.note = `error: ${error instanceof Error ? error.message.split('\n')[0] : error}`;
  } finally {
    await Promise.race([context.close(), new Promise((done) => setTimeout(done, 10_000))]);
  }
  return row;
}

export function responsivenessTable(rows: ResponsivenessRow[]): string {
  const header = ['model', 'dataset', 'backend', 'steps', 'long tasks', 'longest ms', 'blocked', 'note'];
  const body = rows.map((r) => [
    r.model,
    r.dataset,
    r.backend,
    r.steps === undefined ? '-' : String(r.steps),
    r.longTasks === undefined ? '-' : String(r.longTasks),
    r.longestMs === undefined ? '-' : r.longestMs.toFixed(0),
    r.blockedShare === undefined ? '-' : `${(100 * r.blockedShare).toFixed(1)}%`,
    r.note,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((line) => line[c].length)));
  const format = (line: string[]) => line.map((cell, c) => (c >= 3 && c <= 6 ? cell.padStart(widths[c]) : c === 7 ? cell : cell.padEnd(widths[c]))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(Math.min(w, 40))).join('  '), ...body.map(format)].join('\n');
}
