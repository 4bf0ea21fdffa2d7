import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { loadNodeClassifier } from '../../src/cli/node-classifiers';
import { loadNodeDataset } from '../../src/cli/node-datasets';
import { EvaluationClassifier, FEATURE_SIZE, type ClassifierInfo } from '../../src/core/metrics/classifier';

beforeAll(async () => {
  await useNodeBackend('wasm');
});

/** Fraction of the first n test images the classifier labels right, computed here (not read from the file). */
async function accuracyOnFirst(classifier: EvaluationClassifier, datasetId: string, n: number): Promise<number> {
  const data = loadNodeDataset(datasetId);
  const indices = data.firstIndices(n, 'test');
  const hits = tf.tidy(() => {
    const { logits } = classifier.embed(data.take('test', indices, { encoding: 'unit' }));
    return tf.equal(logits.argMax(1), tf.tensor1d(data.labels('test', indices), 'int32')).sum();
  });
  const [correct] = await hits.data();
  hits.dispose();
  return correct / indices.length;
}

describe.each([
  { id: 'mnist', first1000: 0.97, whole: 0.98 },
  { id: 'fashion-mnist', first1000: 0.85, whole: 0.88 },
])('the shipped $id classifier', ({ id, first1000, whole }) => {
  let classifier: EvaluationClassifier;
  let info: ClassifierInfo;

  beforeAll(() => {
    ({ classifier, info } = loadNodeClassifier(id));
  });
  afterAll(() => classifier.dispose());

  it(`labels at least ${first1000} of the first 1,000 test images right`, async () => {
    expect(await accuracyOnFirst(classifier, id, 1000)).toBeGreaterThanOrEqual(first1000);
  });

  it(`records its accuracy on the whole test split: at least ${whole}`, () => {
    const data = loadNodeDataset(id);
    expect(info).toMatchObject({ dataset: id, classes: data.spec.classNames!.length, featureSize: FEATURE_SIZE, testExamples: data.count('test') });
    expect(info.accuracy).toBeGreaterThanOrEqual(whole);
    expect(info.trainSteps).toBeGreaterThan(0);
  });

  it('embeds images as [n, FEATURE_SIZE] features and [n, classes] logits, leaking no tensor', () => {
    const images = loadNodeDataset(id).take('test', [0, 1, 2, 3, 4]);
    const before = tf.memory().numTensors;
    const { features, logits } = classifier.embed(images);
    expect(features.shape).toEqual([5, FEATURE_SIZE]);
    expect(logits.shape).toEqual([5, info.classes]);
    // ReLU features: never negative.
    expect(Math.min(...features.dataSync())).toBeGreaterThanOrEqual(0);
    tf.dispose([features, logits]);
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
  });
});

describe('EvaluationClassifier', () => {
  it('embeds in inference mode: the same images give the same features twice', () => {
    const classifier = EvaluationClassifier.create([28, 28, 1], 10, 3);
    const images = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const first = classifier.embed(images);
    const second = classifier.embed(images);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(first.features, second.features))).arraySync())).toBe(0);
    tf.dispose([images, first.features, first.logits, second.features, second.logits]);
    classifier.dispose();
  });

  it('sizes itself from the image shape (colour sets too) and round-trips through its weights file', async () => {
    const shape = [16, 16, 3] as const;
    const classifier = EvaluationClassifier.create(shape, 5, 7);
    const images = tf.randomUniform([3, ...shape], 0, 1, 'float32', 2) as tf.Tensor4D;
    const { specs, data } = await classifier.encode();
    const copy = EvaluationClassifier.fromWeights(shape, 5, specs, data);
    const a = classifier.embed(images);
    const b = copy.embed(images);
    expect(a.logits.shape).toEqual([3, 5]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a.logits, b.logits))).arraySync())).toBe(0);
    tf.dispose([images, a.features, a.logits, b.features, b.logits]);
    classifier.dispose();
    copy.dispose();
  });

  it('takes one training step: a finite loss near ln(classes) at the start, and no tensor left behind', () => {
    const classifier = EvaluationClassifier.create([28, 28, 1], 10, 4);
    const images = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const labels = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
    const first = classifier.trainStep(images, labels);
    // The optimizer makes its moment variables on the first step; count from the second.
    const before = tf.memory().numTensors;
    const loss = classifier.trainStep(images, labels);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Math.abs(first.arraySync() - Math.log(10))).toBeLessThan(1);
    tf.dispose([first, loss, images, labels]);
    classifier.dispose();
  });

  it('frees every tensor it holds on dispose()', async () => {
    const before = tf.memory().numTensors;
    const classifier = EvaluationClassifier.create([28, 28, 1], 10, 5);
    const images = tf.zeros([2, 28, 28, 1]) as tf.Tensor4D;
    const labels = tf.tensor1d([1, 2], 'int32');
    tf.dispose(classifier.trainStep(images, labels));
    const { specs, data } = await classifier.encode();
    const copy = EvaluationClassifier.fromWeights([28, 28, 1], 10, specs, data);
    classifier.dispose();
    copy.dispose();
    tf.dispose([images, labels]);
    expect(tf.memory().numTensors).toBe(before);
  });

  describe('fromWeights with a file that does not fit', () => {
    let specs: tf.io.WeightsManifestEntry[];
    let data: ArrayBuffer;
    beforeAll(async () => {
      const classifier = EvaluationClassifier.create([28, 28, 1], 10, 6);
      ({ specs, data } = await classifier.encode());
      classifier.dispose();
    });

    it('throws on truncated data', () => {
      expect(() => EvaluationClassifier.fromWeights([28, 28, 1], 10, specs, data.slice(0, data.byteLength - 4))).toThrow(/bytes/);
    });
    it('throws on weights for another image shape', () => {
      expect(() => EvaluationClassifier.fromWeights([32, 32, 3], 10, specs, data)).toThrow(/conv1\/kernel is \[3, 3, 1, 32\], expected \[3, 3, 3, 32\]/);
    });
    it('throws on weights for another number of classes', () => {
      expect(() => EvaluationClassifier.fromWeights([28, 28, 1], 7, specs, data)).toThrow(/logits\/kernel/);
    });
    it('throws on a missing weight', () => {
      expect(() => EvaluationClassifier.fromWeights([28, 28, 1], 10, specs.slice(1), data)).toThrow(/conv1\/kernel is missing/);
    });
    it('leaves no tensor behind when it throws', () => {
      const before = tf.memory().numTensors;
      expect(() => EvaluationClassifier.fromWeights([28, 28, 1], 10, specs, data.slice(8))).toThrow();
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it('refuses to train a classifier loaded for evaluation', () => {
    const { classifier } = loadNodeClassifier('mnist');
    const images = tf.zeros([1, 28, 28, 1]) as tf.Tensor4D;
    const labels = tf.tensor1d([0], 'int32');
    expect(() => classifier.trainStep(images, labels)).toThrow(/frozen/);
    tf.dispose([images, labels]);
    classifier.dispose();
  });

  it('refuses images of another shape with a clear error', () => {
    const classifier = EvaluationClassifier.create([28, 28, 1], 10, 8);
    const images = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    expect(() => classifier.embed(images)).toThrow(/takes \[n, 28, 28, 1\] images, got \[1, 32, 32, 3\]/);
    images.dispose();
    classifier.dispose();
  });
});
