import * as tf from '@tensorflow/tfjs';
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { datasetsFor, defaultConfig, paramsFor, TRAINING_PARAMS } from '../../src/core/config';
import { DATASETS } from '../../src/core/datasets/catalog';
import { MODELS } from '../../src/core/models';
import { cardFor, chartsFor } from '../../src/core/models/model';
import { defaultValues, validateParam } from '../../src/core/params/schema';
import { createRandom } from '../../src/core/random';
import { demonstrationLink } from '../../src/core/demonstrations';
import { decodeLink } from '../../src/core/url-codec';
import { fixedBatchOf, heldOut, onNodeBackend, sessionFor, stepOn } from './helpers';

/** Ids that appear in share links and must never change meaning. */
const PUBLIC_IDS = ['ae', 'conv-ae', 'dae', 'vae', 'pixelcnn', 'pixelcnnpp', 'pixelrnn', 'ebm', 'rbm', 'gan'];
const PUBLIC_DATASETS = ['mnist', 'fashion-mnist', 'ring', 'grid', 'moons', 'spiral', 'circles', 'emoji16', 'emoji32', 'colored-mnist'];

/** Every model on one dataset of each kind it accepts: the first image set, and the spiral. */
const PAIRS = MODELS.flatMap((model) =>
  (['image', 'points'] as const).flatMap((kind) => {
    const dataset = datasetsFor(model).find((candidate) => candidate.kind === kind && (kind === 'image' || candidate.id === 'spiral'));
    return dataset ? [[`${model.id} on ${dataset.id}`, model, dataset] as const] : [];
  }),
);

describe('the model registry', () => {
  // WASM: fast on convolutions, and it needs our Conv2DBackpropFilter kernel to train them.
  onNodeBackend('wasm');

  it('has unique, public ids, for models and datasets', () => {
    const ids = MODELS.map((model) => model.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(PUBLIC_IDS).toContain(id);
    for (const dataset of DATASETS) expect(PUBLIC_DATASETS).toContain(dataset.id);
  });

  it('every model trains on some dataset, and the autoencoder and the VAE on 2-D points too', () => {
    for (const model of MODELS) expect(datasetsFor(model).length, model.id).toBeGreaterThan(0);
    expect(datasetsFor(MODELS.find((model) => model.id === 'ae')!).map((d) => d.id)).toContain('spiral');
    expect(datasetsFor(MODELS.find((model) => model.id === 'vae')!).map((d) => d.id)).toContain('ring');
    expect(datasetsFor(MODELS.find((model) => model.id === 'conv-ae')!).every((d) => d.kind === 'image')).toBe(true);
  });

  describe.each(MODELS.map((model) => [model.id, model] as const))('%s', (_, model) => {
    it('loads its code lazily, bound to this very spec', async () => {
      const factory = await model.load();
      expect(factory.spec).toBe(model);
    });

    it('declares settings whose keys collide with nothing, with valid defaults, on every dataset it accepts', () => {
      const own = [...model.optimizer, ...model.params].map((spec) => spec.key);
      expect(new Set(own).size).toBe(own.length);
      for (const reserved of ['model', 'dataset', 'backend', ...TRAINING_PARAMS.map((spec) => spec.key)]) expect(own).not.toContain(reserved);
      for (const dataset of datasetsFor(model)) {
        const schema = paramsFor(model.id, dataset.id);
        const keys = schema.map((spec) => spec.key);
        expect(new Set(keys).size, `${model.id} on ${dataset.id}`).toBe(keys.length);
        const defaults = defaultValues(schema) as Record<string, unknown>;
        for (const spec of schema) expect(validateParam(spec, defaults[spec.key]), `${spec.key} on ${dataset.id}`).toEqual({ ok: true, value: defaults[spec.key] });
      }
    });

    it('has a card whose formula KaTeX renders, labels for its terms, and charts of declared terms', () => {
      expect(() => katex.renderToString(model.card.objectiveTex, { throwOnError: true, displayMode: true })).not.toThrow();
      expect(model.card.summary.length).toBeGreaterThan(80);
      expect(model.card.watchFor.length).toBeGreaterThanOrEqual(2);
      for (const [kind, words] of Object.entries(model.card.forKind ?? {})) {
        expect(model.dataKinds, `card words for ${kind}`).toContain(kind);
        expect(words.summary.length).toBeGreaterThan(80);
        expect(words.watchFor.length).toBeGreaterThanOrEqual(2);
      }
      expect(model.paper.url).toMatch(/^https:\/\//);
      expect(model.charts.length).toBeGreaterThan(0);
      const declared = model.terms.map((term) => term.key);
      for (const chart of model.charts) for (const key of chart.terms) expect(declared, `${chart.id}: ${key}`).toContain(key);
      // the words a run shows (the card, the line under the title) are its kind's: an image model never talks of the plane
      for (const kind of model.dataKinds) {
        const words = cardFor(model.card, kind);
        expect(words.summary, kind).toBe(model.card.forKind?.[kind]?.summary ?? model.card.summary);
        if (kind === 'image') expect(words.summary, `${model.id} on images`).not.toMatch(/\bplane\b|\bpoints?\b/);
      }
      // the lead chart is there on every kind of data the model takes; a chart's kinds are some of the model's
      for (const kind of model.dataKinds) expect(chartsFor(model, kind)[0], kind).toBe(model.charts[0]);
      for (const chart of model.charts) for (const kind of chart.dataKinds ?? []) expect(model.dataKinds, chart.id).toContain(kind);
    });

    it('offers demonstrations whose links decode, on data it accepts, with values its settings accept', () => {
      for (const demonstration of model.demonstrations ?? []) {
        expect(datasetsFor(model).map((dataset) => dataset.id), demonstration.id).toContain(demonstration.dataset);
        const schema = paramsFor(model.id, demonstration.dataset);
        for (const [key, value] of Object.entries(demonstration.values)) {
          const spec = schema.find((candidate) => candidate.key === key);
          expect(spec, `${demonstration.id}: ${key}`).toBeDefined();
          expect(validateParam(spec!, value), `${demonstration.id}: ${key}`).toEqual({ ok: true, value });
        }
        const { config, warnings } = decodeLink(demonstrationLink(model, demonstration.id));
        expect(warnings).toEqual([]);
        expect(config).toMatchObject({ model: model.id, dataset: demonstration.dataset, values: demonstration.values });
      }
    });
  });

  describe.each(PAIRS)('%s', (_, model, dataset) => {
    it('trains at a small size: finite terms that fall on a fixed batch, samples and views, and no tensor leak', async () => {
      const config = defaultConfig(model.id, dataset.id);
      // Shrink whatever the model has, so every model trains in seconds.
      for (const [key, value] of Object.entries({ hidden: [32], hidden_units: 32, ais_temperatures: 50, ais_runs: 10, filters: 8, units: 8, channels: [4, 8], batch: 8, lr: 0.003, k: 2 })) {
        if (key in config.values) config.values[key] = value;
      }
      const before = tf.memory().numTensors;
      const session = await sessionFor(config);
      const fixed = fixedBatchOf(session.data, 8);
      const losses: number[] = [];
      const reported = new Set<string>();
      for (let step = 0; step < 25; step++) {
        const terms = await stepOn(session, fixed);
        Object.values(terms).forEach((value) => expect(Number.isFinite(value)).toBe(true));
        Object.keys(terms).forEach((key) => reported.add(key));
        losses.push(terms[model.charts[0].terms[0]]);
      }
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      for (const evaluation of session.model.evaluations) {
        const figures = await heldOut(session, evaluation.id);
        expect(Object.keys(figures).length).toBeGreaterThan(0);
        Object.values(figures).forEach((value) => expect(Number.isFinite(value), evaluation.id).toBe(true));
        Object.keys(figures).forEach((key) => reported.add(key));
      }
      // every chart the page shows for this kind of data draws something: none stays empty
      for (const chart of chartsFor(model, dataset.kind)) expect(chart.terms.some((key) => reported.has(key)), `${chart.id} on ${dataset.id}: ${[...reported]}`).toBe(true);
      expect(model.generates, 'spec.generates says whether the model has sample()').toBe(typeof session.model.sample === 'function');
      if (session.model.sample) {
        const samples = await session.sample(5, createRandom(4));
        expect(samples.shape).toEqual([5, ...dataset.shape]);
        expect((await samples.data()).every(Number.isFinite)).toBe(true);
        samples.dispose();
      }
      const panels = await session.views();
      expect(panels.length).toBeGreaterThan(0);
      session.dispose();
      expect(tf.memory().numTensors).toBe(before);
      // PixelCNN++ draws its 24 view images with a pass of the whole network per pixel: about 50 s on two cores
    }, 150_000);
  });
});
