/**
 * Exported gated PixelCNN and PixelRNN projects from their own files (src/export/pixelcnn.ts,
 * pixelrnn.ts): --fresh weights are initialized as the app initializes them; at step 0
 * train.py's held-out bits/dim and nats are the app's on the same 200 test images; a few
 * steps train; and the files, in train.py's format, import back as the app's checkpoint.
 *
 * Needs PyTorch for Debian's python3 (see export-helpers.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { DATA_DIR, openNodeDataset } from '../../src/cli/node-datasets';
import { datasetOf, modelValues, type RunConfig } from '../../src/core/config';
import type { GenerativeModel } from '../../src/core/models/model';
import { findModel } from '../../src/core/models';
import { createRandom } from '../../src/core/random';
import { encodeCheckpoint } from '../../src/core/training/checkpoint-codec';
import { disposeState } from '../../src/core/training/model-state';
import type { Checkpoint } from '../../src/core/training/checkpoint';
import { checkpointArrays } from '../../src/export/checkpoint-arrays';
import { importPytorchRun, readNpz } from '../../src/export/import';
import { configOf, logLines, python, requireTorch, skipWithoutTorch, writeProject } from './export-helpers';
import { evaluateOn } from './helpers';

let root: string;
beforeAll(async () => {
  await useNodeBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'export-autoregressive-projects-test-'));
});
afterAll(() => spawnSync('rm', ['-rf', root]));


const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const TINY_GATED = { architecture: 'gated', filters: 6, layers: 1, kernel: '3', first_kernel: '3', batch: 4 };
const TINY_RNN = { units: 6, layers: 1, first_kernel: '3', batch: 4 };

/** The app's model of a run, fresh (seed 3), exported at step 0 into a project named `name`; `before` sees the model first. */
async function freshProject(name: string, config: RunConfig, before?: (model: GenerativeModel) => Promise<void>): Promise<{ project: string; checkpoint: Checkpoint }> {
  const factory = await findModel(config.model)!.load();
  const model = factory.create(modelValues(config), { data: datasetOf(config), random: createRandom(3) });
  await before?.(model);
  const saved = await model.state!.save();
  const checkpoint = await encodeCheckpoint(0, saved);
  disposeState(saved);
  model.dispose();
  const project = join(root, name.replace(/\W+/g, '-'));
  await writeProject(project, config, checkpoint, async (file) => readFileSync(join(DATA_DIR, file)));
  return { project, checkpoint };
}

describe.skipIf(skipWithoutTorch)('exported autoregressive projects, from their own files', () => {
  it.each([
    ['gated PixelCNN, colour 8-bit values', 'pixelcnn', 'emoji16', { ...TINY_GATED, layers: 2 }],
    ['PixelRNN, Row LSTM, grey 8-bit values', 'pixelrnn', 'mnist', { ...TINY_RNN, layer: 'row', layers: 2 }],
    ['PixelRNN, Diagonal BiLSTM, colour 8-bit values', 'pixelrnn', 'emoji16', { ...TINY_RNN, layer: 'diagonal', layers: 2 }],
  ] as const)('%s: fresh weights in train.py are initialized as the app initializes them', async (name, modelId, dataset, values) => {
    requireTorch();
    const { project } = await freshProject(`fresh ${name}`, configOf(modelId, dataset, values));
    // made as train.py's main makes them
    const script = [
      'import importlib.util, numpy as np, torch',
      'spec = importlib.util.spec_from_file_location("train", "train.py"); train = importlib.util.module_from_spec(spec); spec.loader.exec_module(train)',
      'args = train.parse_args([]); torch.manual_seed(args.seed); model = train.Model(args); train.glorot_init(model)',
      'np.savez("fresh.npz", **{name: value.detach().numpy() for name, value in model.state_dict().items()})',
    ].join('\n');
    python(['-c', script], project);
    const [app, fresh] = ['weights.npz', 'fresh.npz'].map((file) => readNpz(new Uint8Array(readFileSync(join(project, file)))));
    const names = [...app.keys()].filter((key) => !key.startsWith('adam.'));
    expect([...fresh.keys()].sort()).toEqual([...names].sort());
    const largest = (values: Float32Array) => values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
    for (const key of names) {
      const [ours, theirs] = [app.get(key)!, fresh.get(key)!];
      expect(theirs.shape, key).toEqual(ours.shape);
      if (key.endsWith('.bias')) {
        // zeros, the LSTM's forget gates' 1
        expect(Array.from(theirs.values), key).toEqual(Array.from(ours.values));
      } else {
        // both U(-L, L) with the app's L: the largest of n >= 36 draws lies above 0.75 L (probability 1 - 0.75^36 > 0.9999)
        expect(ours.values.length, key).toBeGreaterThanOrEqual(36);
        expect(largest(theirs.values) / largest(ours.values), key).toBeGreaterThan(0.75);
        expect(largest(theirs.values) / largest(ours.values), key).toBeLessThan(1 / 0.75);
      }
    }
  }, 60_000);

  it.each([
    ['gated PixelCNN, grey binarized by sampling', 'pixelcnn', 'mnist', { ...TINY_GATED, data: 'sampled' }],
    ['PixelRNN, Row LSTM, colour binarized by sampling', 'pixelrnn', 'emoji16', { ...TINY_RNN, layer: 'row', data: 'sampled' }],
  ] as const)("%s: at step 0 the app's held-out figures; two steps train; the exported files import back as the app's checkpoint", async (name, modelId, dataset, values) => {
    requireTorch();
    const config = configOf(modelId, dataset, values);
    let app: Record<string, number> = {};
    const { project, checkpoint } = await freshProject(name, config, async (model) => {
      app = await evaluateOn(model, await openNodeDataset(config.dataset, config.values));
    });
    python(['train.py', '--steps', '0', '--out-dir', 'zero'], project);
    const summary = logLines(join(project, 'zero', 'logs.jsonl')).at(-1)!;
    expect(relative(summary.test_bits_per_dim, app.bits_per_dim)).toBeLessThan(1e-5);
    expect(relative(summary.test_nats, app.nats)).toBeLessThan(1e-5);

    python(['train.py', '--steps', '2', '--log-every', '2', '--eval-every', '2', '--out-dir', 'two'], project);
    const lines = logLines(join(project, 'two', 'logs.jsonl'));
    expect(lines.map((line) => line.step)).toEqual([2, undefined]);
    expect(Number.isFinite(lines[0].bits_per_dim) && lines[0].bits_per_dim > 0 && lines[0].test_bits_per_dim > 0).toBe(true);
    // and back: the exported files are in train.py's format, so importing them gives the app's checkpoint, every value
    const { checkpoint: back } = importPytorchRun({ manifest: readFileSync(join(project, 'manifest.json'), 'utf8'), weights: new Uint8Array(readFileSync(join(project, 'weights.npz'))) });
    const [original, returned] = [checkpoint!, back].map((state) => checkpointArrays(state));
    const weights = [...original.keys()].filter((key) => key.startsWith('network/weights/'));
    expect(weights.length).toBeGreaterThan(0);
    for (const key of weights) expect(Array.from(returned.get(key)!.values), key).toEqual(Array.from(original.get(key)!.values));
  }, 60_000);
});
