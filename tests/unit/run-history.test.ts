/**
 * Kept runs: the IndexedDB records (through fake-indexeddb), and the run file, which
 * brings back the same samples for the same seed and refuses damaged or foreign files
 * with a sentence, storing nothing.
 */
import 'fake-indexeddb/auto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { comparisonColumns, comparisonRows, sortRows, toCsv } from '../../src/app/history/comparison';
import { decodeRunFile, encodeRunFile, RunFileError, runFileName } from '../../src/app/history/run-file';
import { clearRuns, deleteRun, findResumable, getCheckpoint, listRuns, pruneCheckpoints, saveRun, updateRun, type RunRecord } from '../../src/app/history/run-records';
import { defaultConfig, type RunConfig } from '../../src/core/config';
import { createRandom } from '../../src/core/random';
import type { Checkpoint } from '../../src/core/training/checkpoint';
import { encodeLink } from '../../src/core/url-codec';
import { sessionFor, train } from './helpers';

function config(): RunConfig {
  const base = defaultConfig('vae', 'ring');
  base.backend = 'cpu';
  Object.assign(base.values, { hidden: [16], latent: 2, batch: 16, seed: 11 });
  return base;
}

function record(key: string, updated: number, change: Partial<RunRecord> = {}): RunRecord {
  const run = config();
  return { key, name: `run ${key}`, created: updated, updated, config: run, link: encodeLink(run), step: 10, train: [{ step: 10, loss: 1.5 }], test: [], heldOut: {}, live: false, training: false, ...change };
}

beforeAll(async () => {
  await useNodeBackend('cpu');
});

beforeEach(async () => {
  await clearRuns();
});

describe('kept runs (IndexedDB)', () => {
  it('lists newest first, renames, deletes one with its checkpoint, clears all', async () => {
    const checkpoint: Checkpoint = { step: 10, numbers: {}, specs: [], data: new ArrayBuffer(0) };
    await saveRun(record('a', 1));
    await saveRun(record('b', 3), checkpoint);
    await saveRun(record('c', 2));
    expect((await listRuns()).map((run) => run.key)).toEqual(['b', 'c', 'a']);
    expect((await listRuns())[0].checkpointStep).toBe(10);
    await updateRun('a', { name: 'my best run' });
    expect((await listRuns()).find((run) => run.key === 'a')?.name).toBe('my best run');
    await deleteRun('b');
    expect((await listRuns()).map((run) => run.key)).toEqual(['c', 'a']);
    expect(await getCheckpoint('b')).toBeUndefined();
    await clearRuns();
    expect(await listRuns()).toEqual([]);
  });

  it('keeps the weights of the newest runs only; older ones keep their records', async () => {
    const checkpoint: Checkpoint = { step: 10, numbers: {}, specs: [], data: new ArrayBuffer(0) };
    for (let i = 0; i < 5; i++) await saveRun(record(`r${i}`, i), checkpoint);
    expect(await pruneCheckpoints(3)).toEqual(['r1', 'r0']);
    const runs = await listRuns();
    expect(runs.map((run) => [run.key, run.checkpointStep])).toEqual([['r4', 10], ['r3', 10], ['r2', 10], ['r1', undefined], ['r0', undefined]]);
    expect(await getCheckpoint('r0')).toBeUndefined();
    expect(await getCheckpoint('r2')).toBeDefined();
    expect(await pruneCheckpoints(3)).toEqual([]);
  });

  it('a reload resumes the newest live run of the same link that has a checkpoint', async () => {
    const checkpoint: Checkpoint = { step: 10, numbers: {}, specs: [], data: new ArrayBuffer(0) };
    await saveRun(record('old', 1, { live: true }), checkpoint);
    await saveRun(record('new', 2, { live: true }), checkpoint);
    await saveRun(record('no-checkpoint', 3, { live: true }));
    await saveRun(record('not-live', 4), checkpoint);
    await saveRun(record('other-link', 5, { live: true, link: 'model=ae&dataset=mnist' }), checkpoint);
    expect((await findResumable(encodeLink(config())))?.key).toBe('new');
    expect(await findResumable('model=gan&dataset=ring')).toBeUndefined();
  });
});

describe('run files', () => {
  it('export then import brings back the same samples for the same seed', async () => {
    const original = await sessionFor(config());
    await train(original, 20);
    const checkpoint = (await original.checkpoint())!;
    const samples = async (session: typeof original) => {
      const drawn = await session.sample(32, createRandom(5));
      const values = Array.from(await drawn.data());
      drawn.dispose();
      return values;
    };
    const expected = await samples(original);
    original.dispose();

    const text = encodeRunFile(record('x', 1, { step: 20, name: 'Ring VAE' }), checkpoint);
    const { run, checkpoint: imported } = decodeRunFile(text, 'imported');
    expect(run).toMatchObject({ key: 'imported', name: 'Ring VAE', step: 20, checkpointStep: 20, live: false });
    expect(run.config).toEqual(config());
    const restored = await sessionFor(run.config);
    await restored.restore(imported!);
    expect(await samples(restored)).toEqual(expected);
    restored.dispose();
    // and a fresh, untrained model draws other samples: the weights came from the file
    const fresh = await sessionFor(config());
    expect(await samples(fresh)).not.toEqual(expected);
    fresh.dispose();
    expect(runFileName(run)).toBe('ring-vae-step-20.run.json');
  });

  it('refuses a file that is not JSON, not ours, of another version, with foreign settings or damaged weights', async () => {
    const good = JSON.parse(encodeRunFile(record('x', 1), { step: 10, numbers: { 'session/batches': 1 }, specs: [{ name: 'w', shape: [2], dtype: 'float32' }], data: new Float32Array([1, 2]).buffer }));
    const attempt = (value: unknown) => () => decodeRunFile(typeof value === 'string' ? value : JSON.stringify(value), 'k');
    expect(attempt(good)).not.toThrow();
    expect(attempt('PK\u0003\u0004 a zip')).toThrow(/not JSON/);
    expect(attempt({ hello: 'world' })).toThrow(/not a run file/);
    expect(attempt({ ...good, version: 99 })).toThrow(/version 99/);
    expect(attempt({ ...good, run: { ...good.run, link: 'model=no-such-model&dataset=mnist' } })).toThrow(RunFileError);
    expect(attempt({ ...good, run: { ...good.run, train: [{ step: 'ten' }] } })).toThrow(/training curves/);
    expect(attempt({ ...good, checkpoint: { ...good.checkpoint, data: '%%%not base64' } })).toThrow(/weights/);
    expect(attempt({ ...good, checkpoint: { ...good.checkpoint, specs: 'nope' } })).toThrow(/weights/);
    expect(attempt({ ...good, checkpoint: { ...good.checkpoint, data: good.checkpoint.data.slice(0, 4) } })).toThrow(/cut short/);
  });
});

describe('the comparison table', () => {
  const runs = [
    record('a', 1, { name: 'VAE, "blurry"', heldOut: { loss: { value: 3, step: 10, evaluation: 'held-out', basis: 'b' } } }),
    record('b', 2, { name: 'AE', step: 50, heldOut: { loss: { value: 1, step: 50, evaluation: 'held-out', basis: 'b' }, precision: { value: 0.5, step: 50, evaluation: 'quality', basis: 'b' } } }),
    record('c', 3, { name: 'fresh', step: 5 }),
  ];

  it('has a column per figure any run has, and sorts with missing figures last', () => {
    const columns = comparisonColumns(runs, (key) => key.toUpperCase());
    expect(columns.map((column) => column.label)).toEqual(['run', 'model', 'dataset', 'steps', 'LOSS', 'PRECISION']);
    const rows = comparisonRows(runs);
    expect(sortRows(rows, 'loss', 'ascending').map((row) => row.name)).toEqual(['AE', 'VAE, "blurry"', 'fresh']);
    expect(sortRows(rows, 'loss', 'descending').map((row) => row.name)).toEqual(['VAE, "blurry"', 'AE', 'fresh']);
    expect(sortRows(rows, 'step', 'descending').map((row) => row.step)).toEqual([50, 10, 5]);
  });

  it('writes CSV with quoting and empty cells', () => {
    const columns = comparisonColumns(runs);
    const csv = toCsv(columns, comparisonRows(runs));
    expect(csv.split('\r\n')).toEqual([
      'run,model,dataset,steps,loss,precision',
      '"VAE, ""blurry""",vae,ring,10,3,',
      'AE,vae,ring,50,1,0.5',
      'fresh,vae,ring,5,,',
      '',
    ]);
  });
});
