import * as tf from '@tensorflow/tfjs';
import katex from 'katex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { loadNodeDataset } from '../../src/cli/node-datasets';
import { defaultConfig, TRAINING_PARAMS } from '../../src/core/config';
import { MODELS } from '../../src/core/models';
import { IMPLEMENTATIONS } from '../../src/core/models/implementations';
import { defaultValues, validateParam } from '../../src/core/params/schema';
import { TrainingSession } from '../../src/core/training/session';

/** Ids that appear in share links and must never change meaning. */
const PUBLIC_IDS = ['ae', 'conv-ae', 'dae', 'vae', 'pixelcnn', 'pixelcnnpp', 'pixelrnn', 'ebm', 'rbm', 'gan'];

describe('the model registry', () => {
  // WASM: fast on convolutions, and it needs our Conv2DBackpropFilter kernel to train them.
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });
  afterAll(async () => {
    await useNodeBackend('cpu');
  });

  it('has unique, public ids', () => {
    const ids = MODELS.map((model) => model.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(PUBLIC_IDS).toContain(id);
  });

  it('has exactly one implementation for each spec, bound to that very spec', () => {
    expect(IMPLEMENTATIONS.map((implementation) => implementation.spec.id)).toEqual(MODELS.map((model) => model.id));
    IMPLEMENTATIONS.forEach((implementation, index) => expect(implementation.spec).toBe(MODELS[index]));
  });

  describe.each(MODELS.map((model) => [model.id, model] as const))('%s', (_, model) => {
    it('declares parameters whose keys collide with nothing, with valid defaults', () => {
      const keys = model.params.map((spec) => spec.key);
      expect(new Set(keys).size).toBe(keys.length);
      for (const reserved of ['model', 'dataset', 'backend', ...TRAINING_PARAMS.map((spec) => spec.key)]) expect(keys).not.toContain(reserved);
      const defaults = defaultValues(model.params) as Record<string, unknown>;
      for (const spec of model.params) expect(validateParam(spec, defaults[spec.key]), spec.key).toEqual({ ok: true, value: defaults[spec.key] });
    });

    it('has a card whose formula KaTeX renders, and labels for its loss', () => {
      expect(() => katex.renderToString(model.card.objectiveTex, { throwOnError: true, displayMode: true })).not.toThrow();
      expect(model.card.summary.length).toBeGreaterThan(80);
      expect(model.card.watchFor.length).toBeGreaterThanOrEqual(2);
      expect(model.terms[0].key).toBe('loss');
      expect(model.paper.url).toMatch(/^https:\/\//);
    });

    it('trains at a small size: finite losses that fall on a fixed batch, and no tensor leak', async () => {
      const config = defaultConfig(model.id);
      // Shrink whatever the model has, so every model trains in seconds on the CPU backend.
      for (const [key, value] of Object.entries({ hidden: [32], channels: [4, 8], batch: 8, lr: 0.003, k: 2 })) {
        if (key in config.values) config.values[key] = value;
      }
      const before = tf.memory().numTensors;
      const session = new TrainingSession(config, loadNodeDataset('mnist'));
      const images = session.dataset.images('train', session.dataset.firstIndices(8, 'train'));
      const losses: number[] = [];
      for (let step = 0; step < 25; step++) {
        const terms = session.model.trainStep(images);
        const values = await Promise.all(Object.values(terms).map((tensor) => tensor.data()));
        values.forEach((value) => expect(Number.isFinite(value[0])).toBe(true));
        losses.push((await terms.loss.data())[0]);
        Object.values(terms).forEach((tensor) => tensor.dispose());
      }
      images.dispose();
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      const evaluation = await session.evaluate(16);
      Object.values(evaluation.values).forEach((value) => expect(Number.isFinite(value)).toBe(true));
      const panels = await session.views();
      expect(panels.length).toBeGreaterThan(0);
      session.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }, 60_000);
  });
});
