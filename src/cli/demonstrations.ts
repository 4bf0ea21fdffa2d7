/**
 * Checks that each demonstration shows what its card says, over a few seeds: trains it in
 * Node (WASM) exactly as its share link sets it up, and prints the figures it names every
 * few steps, one line per seed, with the full series in bench-results/demonstrations.json.
 * A report for a person to read against the demonstration's text, not a test: GAN
 * dynamics are stochastic, and the claims are about tendencies over seeds.
 *
 *   npm run demonstrations -- [--model gan] [--only mode-collapse,instability] [--seeds 1,2,3]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demonstrationLink } from '../core/demonstrations';
import { MODELS } from '../core/models';
import { createSession } from '../core/training/session';
import { decodeLink } from '../core/url-codec';
import { evaluateAll } from './evaluate-all';
import { useNodeBackend, allowRelaxedSimd } from './node-backend';
import { nodeClassifiers } from './node-classifiers';
import { openNodeDataset } from './node-datasets';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

interface SeedRun {
  seed: number;
  /** The watched figures at each check: [step, { key: value }]. */
  series: { step: number; values: Record<string, number> }[];
  msPerStep: number;
}

async function runSeed(link: string, seed: number, check: { steps: number; every: number; watch: readonly string[] }): Promise<SeedRun> {
  const { config } = decodeLink(link);
  config.values.seed = seed;
  config.backend = 'wasm';
  const session = await createSession(config, await openNodeDataset(config.dataset, config.values), { classifiers: nodeClassifiers });
  const series: SeedRun['series'] = [];
  let training = 0;
  while (session.step < check.steps) {
    const begun = performance.now();
    session.dispatch();
    if (session.step % check.every !== 0) continue;
    const { points } = await session.readMetrics();
    training += performance.now() - begun;
    const last = points.at(-1)?.values ?? {};
    const figures = { ...last, ...(await evaluateAll(session)).figures };
    series.push({ step: session.step, values: Object.fromEntries(check.watch.filter((key) => key in figures).map((key) => [key, figures[key]])) });
  }
  session.dispose();
  return { seed, series, msPerStep: training / check.steps };
}

const format = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));

async function main(): Promise<void> {
  allowRelaxedSimd(); // train as the page does
  const models = option('model')?.split(',');
  const only = option('only')?.split(',');
  const seeds = (option('seeds') ?? '1,2,3').split(',').map(Number);
  await useNodeBackend('wasm');
  const report: Record<string, unknown>[] = [];
  for (const model of MODELS.filter((m) => !models || models.includes(m.id))) {
    for (const demonstration of model.demonstrations ?? []) {
      if (only && !only.includes(demonstration.id)) continue;
      const link = demonstrationLink(model, demonstration.id);
      const { check } = demonstration;
      console.log(`\n${model.id} / ${demonstration.id}: ${link}\n  ${demonstration.text}`);
      console.log(`  every ${check.every} steps to ${check.steps}: ${check.watch.join(', ')}`);
      const runs: SeedRun[] = [];
      for (const seed of seeds) {
        const run = await runSeed(link, seed, check);
        runs.push(run);
        for (const key of check.watch) console.log(`  seed ${seed} ${key.padEnd(24)} ${run.series.map((point) => (key in point.values ? format(point.values[key]) : '-')).join('  ')}`);
      }
      report.push({ model: model.id, demonstration: demonstration.id, link, check, runs });
    }
  }
  const out = join(ROOT, 'bench-results', 'demonstrations.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 1));
  console.log(`\nwrote ${out}`);
}

main().catch((error) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
