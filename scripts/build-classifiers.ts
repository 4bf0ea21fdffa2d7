/**
 * `npm run classifiers [-- id ...]`: trains the evaluation classifier of each labelled image
 * dataset that has a plan below (src/core/metrics/classifier.ts), in Node on the WASM
 * backend, and writes public/classifiers/<id>.classifier.{json,bin}, which are committed:
 * the app and the tests read them, and nobody should need to train them again.
 *
 * Everything is seeded and the step count is fixed by the plan (not by a time budget), so a
 * rebuild on the same TF.js version gives the same weights. The plans were sized to about
 * 6 minutes of training each on a 2-core machine (~180 ms a step at batch 64); the script
 * prints its own measured pace so a slower machine shows up early.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLASSIFIER_DIR } from '../src/cli/node-classifiers';
import { useNodeBackend } from '../src/cli/node-backend';
import { loadNodeDataset } from '../src/cli/node-datasets';
import { DATASETS, type ImageDataSpec } from '../src/core/datasets/catalog';
import type { ImageDataset } from '../src/core/datasets/image-dataset';
import { classifierFileName, EvaluationClassifier, FEATURE_SIZE, LEARNING_RATE, type ClassifierFile, type ClassifierInfo } from '../src/core/metrics/classifier';
import { quote } from '../src/core/quote';
import { createRandom, type Random } from '../src/core/random';

interface ClassifierPlan {
  epochs: number;
  batch: number;
  seed: number;
}

/** Datasets that get a classifier, and how long each trains. Two epochs at batch 64 reach ~99% on MNIST and ~90% on Fashion-MNIST. */
const PLANS: Readonly<Record<string, ClassifierPlan>> = {
  mnist: { epochs: 2, batch: 64, seed: 20240601 },
  'fashion-mnist': { epochs: 2, batch: 64, seed: 20240602 },
};

/** Beyond this many seconds of estimated training a dataset's plan is too long for this machine: say so early. */
const BUDGET_S = 6 * 60;
const LOG_EVERY = 100;
const PACE_FROM = 10;
const PACE_STEPS = 20;
const EVAL_BATCH = 500;

/** Fisher-Yates: every training image once an epoch, in an order fixed by the seed. */
function permutation(count: number, random: Random): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Images and their class ids, by index, as the classifier takes them. */
function batchOf(data: ImageDataset, split: 'train' | 'test', indices: readonly number[]): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  return { images: data.take(split, indices, { encoding: 'unit' }), labels: tf.tensor1d(data.labels(split, indices), 'int32') };
}

/** Fraction of the whole test split whose largest logit is the label. */
async function testAccuracy(classifier: EvaluationClassifier, data: ImageDataset): Promise<number> {
  const count = data.count('test');
  let correct = 0;
  for (let start = 0; start < count; start += EVAL_BATCH) {
    const indices = Array.from({ length: Math.min(EVAL_BATCH, count - start) }, (_, i) => start + i);
    const hits = tf.tidy(() => {
      const { images, labels } = batchOf(data, 'test', indices);
      const { logits } = classifier.embed(images);
      return tf.equal(logits.argMax(1), labels).sum();
    });
    correct += (await hits.data())[0];
    hits.dispose();
  }
  return correct / count;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

async function build(spec: ImageDataSpec, plan: ClassifierPlan): Promise<ClassifierInfo> {
  const data = loadNodeDataset(spec.id);
  const classes = spec.classNames!.length;
  const random = createRandom(plan.seed);
  const classifier = EvaluationClassifier.create(spec.shape, classes, random.seed());
  // A partial last batch is dropped: every step then sees the same batch size.
  const stepsPerEpoch = Math.floor(data.count('train') / plan.batch);
  const totalSteps = plan.epochs * stepsPerEpoch;
  console.log(`${spec.id}: ${plan.epochs} epochs x ${stepsPerEpoch} steps of ${plan.batch} images, ${classes} classes`);
  const started = performance.now();
  let step = 0;
  let lossSum = 0;
  let paceStart = 0;
  for (let epoch = 0; epoch < plan.epochs; epoch++) {
    const order = permutation(data.count('train'), random);
    for (let index = 0; index < stepsPerEpoch; index++) {
      // Cosine annealing from LEARNING_RATE towards 0 over the whole run.
      classifier.setLearningRate(LEARNING_RATE * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps)));
      const loss = tf.tidy(() => {
        const { images, labels } = batchOf(data, 'train', order.slice(index * plan.batch, (index + 1) * plan.batch));
        return classifier.trainStep(images, labels);
      });
      lossSum += (await loss.data())[0];
      loss.dispose();
      step++;
      // The first steps compile kernels and warm caches: time the pace after them.
      if (step === PACE_FROM) paceStart = performance.now();
      if (step === PACE_FROM + PACE_STEPS) {
        const msPerStep = (performance.now() - paceStart) / PACE_STEPS;
        const estimate = msPerStep * totalSteps;
        const warning = estimate > BUDGET_S * 1000 * 1.1 ? ` (over the ${BUDGET_S} s budget: this machine is slower than the plan assumed)` : '';
        console.log(`  ${msPerStep.toFixed(0)} ms a step: about ${seconds(estimate)} of training${warning}`);
      }
      if (step % LOG_EVERY === 0 || step === totalSteps) {
        const elapsed = performance.now() - started;
        console.log(`  step ${step}/${totalSteps}  epoch ${epoch + 1}  loss ${(lossSum / (step % LOG_EVERY || LOG_EVERY)).toFixed(4)}  ${seconds(elapsed)}`);
        lossSum = 0;
      }
    }
  }
  const trainMs = performance.now() - started;
  const accuracy = await testAccuracy(classifier, data);
  const info: ClassifierInfo = {
    dataset: spec.id,
    classes,
    featureSize: FEATURE_SIZE,
    accuracy,
    testExamples: data.count('test'),
    trainSteps: totalSteps,
    epochs: plan.epochs,
  };
  const { specs, data: bytes } = await classifier.encode();
  classifier.dispose();
  const file: ClassifierFile = { info, specs };
  mkdirSync(CLASSIFIER_DIR, { recursive: true });
  writeFileSync(join(CLASSIFIER_DIR, classifierFileName(spec.id, 'json')), `${JSON.stringify(file, null, 2)}\n`);
  writeFileSync(join(CLASSIFIER_DIR, classifierFileName(spec.id, 'bin')), new Uint8Array(bytes));
  console.log(
    `${spec.id}: test accuracy ${(accuracy * 100).toFixed(2)}% on ${info.testExamples} images after ${seconds(trainMs)} of training; ` +
      `wrote ${classifierFileName(spec.id, 'bin')} (${(bytes.byteLength / 1024).toFixed(0)} KB)`,
  );
  return info;
}

async function main(): Promise<void> {
  const labelled = DATASETS.filter((spec): spec is ImageDataSpec => spec.kind === 'image' && (spec.classNames?.length ?? 0) > 1);
  const planned = labelled.filter((spec) => PLANS[spec.id]);
  for (const spec of labelled) if (!PLANS[spec.id]) console.log(`${spec.id}: no classifier plan in scripts/build-classifiers.ts, skipped`);
  const wanted = process.argv.slice(2);
  for (const id of wanted) {
    if (!planned.some((spec) => spec.id === id)) throw new Error(`No classifier plan for ${quote(id)}: one of ${planned.map((spec) => spec.id).join(', ')}`);
  }
  await useNodeBackend('wasm');
  for (const spec of planned) if (wanted.length === 0 || wanted.includes(spec.id)) await build(spec, PLANS[spec.id]);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
