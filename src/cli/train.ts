/**
 * The command-line runner: trains any registered model in Node with the same core the
 * page uses, printing one JSON line per logging interval and a summary line.
 *
 *   npm run train -- --model ae --dataset mnist --steps 500 [--backend cpu|wasm] [--set key=value ...]
 */
import * as tf from '@tensorflow/tfjs';
import { TrainingSession } from '../core/training/session';
import { parseCliArgs, UsageError } from './args';
import { useNodeBackend } from './node-backend';
import { loadNodeDataset } from './node-datasets';

const round = (value: number) => Number(value.toPrecision(6));
const rounded = (values: Record<string, number>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, round(v)]));

async function main(): Promise<void> {
  const options = parseCliArgs(process.argv.slice(2));
  await useNodeBackend(options.backend);
  const session = new TrainingSession(options.config, loadNodeDataset(options.config.dataset));
  const started = performance.now();
  let lastTest: Record<string, number> = {};
  let lastTrain: Record<string, number> = {};
  while (session.step < options.steps) {
    session.trainStep();
    const atLog = session.step % options.logEvery === 0 || session.step === options.steps;
    if (!atLog) continue;
    // Each term averaged over the steps since the last line.
    const points = await session.readMetrics();
    lastTrain = Object.fromEntries(
      Object.keys(points[0].values).map((name) => [name, points.reduce((sum, point) => sum + point.values[name], 0) / points.length]),
    );
    const line: Record<string, unknown> = { step: session.step, ...rounded(lastTrain) };
    if (session.step % options.evalEvery === 0 || session.step === options.steps) {
      lastTest = (await session.evaluate()).values;
      for (const [name, value] of Object.entries(lastTest)) line[`test_${name}`] = round(value);
    }
    console.log(JSON.stringify(line));
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      summary: true,
      model: options.config.model,
      dataset: options.config.dataset,
      backend: tf.getBackend(),
      steps: session.step,
      batch: session.batchSize,
      seconds: round(seconds),
      ms_per_step: round((seconds * 1000) / session.step),
      ...Object.fromEntries(Object.entries(lastTrain).map(([name, value]) => [`train_${name}`, round(value)])),
      ...Object.fromEntries(Object.entries(lastTest).map(([name, value]) => [`test_${name}`, round(value)])),
      config: options.config.values,
    }),
  );
  session.dispose();
}

main().catch((error) => {
  console.error(error instanceof UsageError ? `usage error: ${error.message}` : error);
  console.error('usage: npm run train -- --model ae --dataset mnist --steps 500 [--backend cpu|wasm] [--log-every N] [--set key=value ...]');
  process.exit(error instanceof UsageError ? 2 : 1);
});
