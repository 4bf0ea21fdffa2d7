/**
 * The command-line runner: trains any registered model in Node with the same core the
 * page uses, printing one JSON line per logging interval and a summary line.
 *
 *   npm run train -- --model ae --dataset mnist --steps 500 [--backend cpu|wasm] [--set key=value ...]
 */
import * as tf from '@tensorflow/tfjs';
import { modelOf } from '../core/config';
import { createSession, nonFiniteMessage, type MetricPoint } from '../core/training/session';
import { createWriteStream, type WriteStream } from 'node:fs';
import { HelpRequested, parseCliArgs, USAGE, UsageError } from './args';
import { useNodeBackend, allowRelaxedSimd } from './node-backend';
import { nodeClassifiers } from './node-classifiers';
import { openNodeDataset } from './node-datasets';
import { evaluateAll } from './evaluate-all';

const round = (value: number) => Number(value.toPrecision(6));
const rounded = (values: Record<string, number>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, round(v)]));

/** Each term averaged over the steps that reported it (terms may differ between steps). */
function averages(points: readonly MetricPoint[]): Record<string, number> {
  const sums = new Map<string, { sum: number; count: number }>();
  for (const { values } of points) {
    for (const [name, value] of Object.entries(values)) {
      const entry = sums.get(name) ?? { sum: 0, count: 0 };
      sums.set(name, { sum: entry.sum + value, count: entry.count + 1 });
    }
  }
  return Object.fromEntries([...sums].map(([name, { sum, count }]) => [name, sum / count]));
}

/** A run that cannot go on: one line saying why, no stack trace. */
class RunFailure extends Error {}

/** Opens --out before any training, so a path that cannot be written fails at once, not after the run. */
async function openOut(path: string | undefined): Promise<WriteStream | undefined> {
  if (!path) return undefined;
  const stream = createWriteStream(path, { flags: 'w' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new RunFailure(`cannot write --out ${path}: ${error.message}`)));
  });
  return stream;
}

async function main(): Promise<void> {
  allowRelaxedSimd(); // train as the page does
  const options = parseCliArgs(process.argv.slice(2));
  const out = await openOut(options.out);
  const emit = (line: Record<string, unknown>) => {
    const text = JSON.stringify(line);
    console.log(text);
    out?.write(`${text}\n`);
  };
  await useNodeBackend(options.backend);
  const session = await createSession(options.config, await openNodeDataset(options.config.dataset, options.config.values), { classifiers: nodeClassifiers });
  const started = performance.now();
  let lastTest: Awaited<ReturnType<typeof evaluateAll>> = { figures: {}, ownNames: new Set() };
  let lastTrain: Record<string, number> = {};
  while (session.step < options.steps) {
    session.dispatch();
    const atLog = session.step % options.logEvery === 0 || session.step === options.steps;
    if (!atLog) continue;
    const { points, nonFinite } = await session.readMetrics();
    if (nonFinite) throw new RunFailure(nonFiniteMessage(modelOf(options.config), options.config, nonFinite));
    lastTrain = averages(points);
    const line: Record<string, unknown> = { step: session.step, ...rounded(lastTrain) };
    if (session.step % options.evalEvery === 0 || session.step === options.steps) {
      lastTest = await evaluateAll(session);
      for (const [name, value] of Object.entries(lastTest.figures)) line[`test_${name}`] = round(value);
    }
    emit(line);
  }
  const seconds = (performance.now() - started) / 1000;
  emit({
    summary: true,
    model: options.config.model,
    dataset: options.config.dataset,
    backend: tf.getBackend(),
    steps: session.step,
    batch: session.batchSize,
    seconds: round(seconds),
    ms_per_step: round((seconds * 1000) / session.step),
    ...Object.fromEntries(Object.entries(lastTrain).map(([name, value]) => [`train_${name}`, round(value)])),
    // sample-quality and grid figures keep their own names (frechet_classifier_distance, modes_covered, grid_kl): the same keys for every model
    ...Object.fromEntries(Object.entries(lastTest.figures).map(([name, value]) => [lastTest.ownNames.has(name) ? name : `test_${name}`, round(value)])),
    config: options.config.values,
  });
  session.dispose();
  await new Promise<void>((resolve) => (out ? out.end(resolve) : resolve()));
}

main().catch((error) => {
  if (error instanceof HelpRequested) {
    console.log(error.message);
    process.exit(0);
  }
  if (error instanceof UsageError) {
    console.error(`usage error: ${error.message}`);
    console.error(`${USAGE}  (--help for more)`);
    process.exit(2);
  }
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  if (!(error instanceof RunFailure) && process.env.DEBUG) console.error(error);
  process.exit(1);
});
