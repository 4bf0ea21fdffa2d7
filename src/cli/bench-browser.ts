/** The benchmark's browser half: each model and backend in headless Chromium through bench.html, then the page's responsiveness. */
import { createServer } from 'node:net';
import os from 'node:os';
import { chromium, type Browser } from '@playwright/test';
import { build, preview, type PreviewServer } from 'vite';
import { CHROMIUM_ARGS, findChromium, HOW_TO_GET_CHROMIUM } from '../../e2e/chromium';
import type { BrowserBenchResult } from '../bench/protocol';
import { DATASET, log, plan, ROOT, threadsLabel, threadsOf, threadsWord, watchPlan, type Options, type ProfileRow, type Row } from './bench-options';
import { measureResponsiveness, type ResponsivenessRow } from './responsiveness';

/** What the bench page publishes (src/bench/protocol.ts). */
type PageResult = BrowserBenchResult;

/** The page's traced WASM steps, kernel by kernel (--profile), from a row benchPage made. */
export function browserProfile(row: Row): ProfileRow | undefined {
  const result = row.details as unknown as PageResult | undefined;
  if (row.where !== 'browser' || row.backend !== 'wasm' || !result?.kernels || !result.tracedMsPerStep) return undefined;
  return { model: row.model, msPerStep: result.tracedMsPerStep, kernels: result.kernels };
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function pageNote(result: PageResult): string {
  const parts = [`batch ${result.batch}`];
  // Renderer strings run long (ANGLE names the whole driver stack); the JSON keeps them whole.
  const adapter = result.adapter && result.adapter.length > 40 ? `${result.adapter.slice(0, 39)}…` : result.adapter;
  if (adapter) parts.push(`${result.isFallbackAdapter ? 'software: ' : ''}${adapter}`);
  if (result.kernelThreads && result.wasmThreads && result.kernelThreads !== result.wasmThreads) parts.push(`our kernels on ${threadsWord(result.kernelThreads)}, TF.js's on ${result.wasmThreads}`);
  else if (result.wasmThreads) parts.push(threadsWord(result.wasmThreads));
  if (!result.crossOriginIsolated) parts.push('page not cross-origin isolated: no WASM threads');
  if (result.warmupMs) parts.push(`warm-up ${(result.warmupMs / 1000).toFixed(1)} s`);
  return parts.join(', ');
}

/**
 * The benchmark page's result at `url`, in a fresh context (each page starts TF.js from
 * scratch); the page's own log lines and errors go to the log, prefixed with `label`.
 * Throws Playwright's TimeoutError after `timeoutS` seconds.
 */
export async function benchPageResult(browser: Browser, url: string, label: string, timeoutS: number): Promise<PageResult> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.text().startsWith('bench:') || message.type() === 'error') log(`${label}: ${message.text().replace(/^bench: /, '')}`);
    });
    page.on('pageerror', (error) => log(`${label}: page error: ${error.message}`));
    await page.goto(url);
    const handle = await page.waitForFunction(() => (window as { __bench?: unknown }).__bench, null, { timeout: timeoutS * 1000, polling: 500 });
    return (await handle.jsonValue()) as PageResult;
  } finally {
    // A page stuck in a long synchronous step may not close politely; do not wait on it forever.
    await Promise.race([context.close(), new Promise((done) => setTimeout(done, 10_000))]);
  }
}

async function benchPage(browser: Browser, baseUrl: string, model: string, backend: string, options: Options, threads?: number): Promise<Row> {
  const { warmup, steps } = plan(backend, options);
  const url = `${baseUrl}bench.html?backend=${backend}&model=${model}&dataset=${DATASET}&steps=${steps}&warmup=${warmup}${threads ? `&threads=${threads}` : ''}`;
  const row: Row = { model, where: 'browser', backend: threads ? threadsLabel(backend, threads, undefined).backend : backend, note: '' };
  try {
    const started = Date.now();
    const result = await benchPageResult(browser, url, backend, options.timeoutS);
    row.details = { ...result, wallMs: Date.now() - started, url };
    if (result.status === 'ok') {
      Object.assign(row, { msPerStep: result.msPerStep, imagesPerSecond: result.imagesPerSecond, readsPerStep: result.readsPerStep, note: `${steps} steps, ${pageNote(result)}` });
      // setThreadsCount is a request: TF.js may start another count (on a 2-core host it keeps 1, tfjs#6081)
      if (threads) {
        const label = threadsLabel(backend, threads, result.wasmThreads, result.kernelThreads);
        row.backend = label.backend;
        row.note += label.note;
      }
    } else {
      row.note = `${result.status}: ${result.reason}`;
    }
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    row.note = timedOut ? `timed out after ${options.timeoutS} s` : `error: ${error instanceof Error ? error.message.split('\n')[0] : error}`;
  }
  return row;
}

export async function benchBrowser(options: Options, rows: Row[], responsiveness: ResponsivenessRow[]): Promise<string | undefined> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(HOW_TO_GET_CHROMIUM);
  if (options.build) {
    log('building the app (vite build)');
    await build({ root: ROOT, logLevel: 'warn' });
  }
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  try {
    // In-process preview server: it reads vite.config.ts, so it sends the COOP/COEP headers WASM threads need.
    server = await preview({ root: ROOT, logLevel: 'warn', preview: { host: '127.0.0.1', port: await freePort(), strictPort: true, open: false } });
    const baseUrl = server.resolvedUrls?.local[0] ?? '';
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    for (const model of options.models) {
      for (const backend of options.browserBackends) {
        log(`browser ${model} ${backend}`);
        const row = await benchPage(browser, baseUrl, model, backend, options);
        rows.push(row);
        const threads = (row.details as unknown as PageResult | undefined)?.wasmThreads && threadsOf(row);
        const cores = os.cpus().length;
        if (backend === 'wasm' && threads && row.msPerStep && (row.details as unknown as PageResult).crossOriginIsolated && cores > 1) {
          // TF.js starts WASM on half the cores; the same steps on one thread and on every core say what threads are worth
          const timed = new Map<number, Row>([[threads, row]]);
          for (const count of [1, cores].filter((n) => !timed.has(n))) {
            log(`browser ${model} wasm on ${count} thread${count > 1 ? 's' : ''}`);
            const extra = await benchPage(browser, baseUrl, model, backend, options, count);
            rows.push(extra);
            timed.set(count, extra);
          }
          // a speed-up only between the thread counts that actually ran
          const ran = (count: number) => {
            const found = timed.get(count);
            return found && threadsOf(found) === count ? found.msPerStep : undefined;
          };
          const [one, all] = [ran(1), ran(cores)];
          if (one && all) timed.get(cores)!.note += `; ${(one / all).toFixed(2)}x as fast as 1 thread`;
        }
      }
    }
    const watch = watchPlan(options);
    if (watch.skipped.length) log(`not watched: ${watch.skipped.join(', ')} (trains on none of ${options.watchData.join(', ')})`);
    for (const watched of watch.pages) {
      log(`page ${watched.model} on ${watched.dataset}, ${watched.backend}: watching the main thread for ${options.watchS} s of training`);
      responsiveness.push(await measureResponsiveness(browser, baseUrl, watched, options.watchS, options.timeoutS));
    }
    return browser.version();
  } finally {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
  }
}
