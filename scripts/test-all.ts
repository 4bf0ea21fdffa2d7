// `npm test`: the type check, the unit tests (Vitest, Node) and the end-to-end tests
// (Playwright, headless Chromium), then one closing line "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { findChromium, HOW_TO_GET_CHROMIUM } from '../e2e/chromium';

const results = { passed: 0, failed: 0, skipped: 0 };
mkdirSync('test-results', { recursive: true });

function run(label: string, command: string, args: string[], env: Record<string, string> = {}): number {
  console.log(`\n=== ${label}: ${command} ${args.join(' ')}`);
  const outcome = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env }, shell: process.platform === 'win32' });
  return outcome.status ?? 1;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readJson(path: string): any {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

// 1. Types: the core must stay free of DOM and Node types (see tsconfig.core.json).
if (run('type check', 'npx', ['tsc', '-b']) === 0) results.passed += 1;
else results.failed += 1;

// 2. Unit tests.
rmSync('test-results/vitest.json', { force: true });
const unitStatus = run('unit tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json']);
const unit = readJson('test-results/vitest.json');
if (unit) {
  results.passed += unit.numPassedTests;
  results.failed += unit.numFailedTests;
  results.skipped += unit.numPendingTests + (unit.numTodoTests ?? 0);
}
if (unitStatus !== 0 && (!unit || unit.numFailedTests === 0)) results.failed += 1; // the runner itself broke

// 3. End-to-end tests, in a real browser.
if (!findChromium()) {
  console.error(`\n=== end-to-end tests: ${HOW_TO_GET_CHROMIUM}`);
  results.failed += 1;
} else {
  rmSync('test-results/e2e.json', { force: true });
  const e2eStatus = run('end-to-end tests', 'npx', ['playwright', 'test', '--reporter=list,json'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: 'test-results/e2e.json',
  });
  const e2e = existsSync('test-results/e2e.json') ? readJson('test-results/e2e.json') : undefined;
  if (e2e) {
    results.passed += e2e.stats.expected + e2e.stats.flaky;
    results.failed += e2e.stats.unexpected;
    results.skipped += e2e.stats.skipped;
  }
  if (e2eStatus !== 0 && (!e2e || e2e.stats.unexpected === 0)) results.failed += 1;
}

console.log(`\n${results.passed} passed, ${results.failed} failed${results.skipped ? `, ${results.skipped} skipped` : ''}`);
process.exit(results.failed > 0 ? 1 : 0);
