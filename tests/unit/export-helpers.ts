/** What the export tests share: PyTorch (or why it is missing), served batches, TF.js's answers as inputs.npz, projects on disk, the parity harness. */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { defaultConfig, sanitizeConfig, type RunConfig } from '../../src/core/config';
import type { Dataset } from '../../src/core/datasets/dataset';
import type { GenerativeModel } from '../../src/core/models/model';
import { createRandom } from '../../src/core/random';
import type { Checkpoint } from '../../src/core/training/checkpoint';
import { checkpointArrays } from '../../src/export/checkpoint-arrays';
import type { NamedArray } from '../../src/export/npy';
import { npzBytes } from '../../src/export/npy';
import { exportRun, projectFiles } from '../../src/export/project';
import { exportFamilyOf } from '../../src/export/registry';
import { torchState } from '../../src/export/torch-layout';

export const PYTHON = '/usr/bin/python3';
const HARNESS = join(dirname(new URL(import.meta.url).pathname), 'export-parity.py');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const INSTALL = 'PyTorch is missing for /usr/bin/python3: install it with `apt-get install -y python3-torch`';
if (!hasTorch && !process.env.CI) console.warn(`export tests skipped: ${INSTALL}`);
/** Skip with this: without torch the tests are skipped, except in CI, where they fail for want of it. */
export const skipWithoutTorch = !hasTorch && !process.env.CI;
export const requireTorch = () => {
  if (!hasTorch) throw new Error(INSTALL);
};

/** A dataset that serves one given batch (and its labels), whatever is asked. */
export function serving(kind: Dataset['kind'], x: tf.Tensor, labels: Uint8Array = new Uint8Array(x.shape[0])): Dataset {
  return { kind, draw: () => x.clone(), drawLabelled: () => ({ examples: x.clone(), labels }) } as unknown as Dataset;
}

export function configOf(model: string, dataset: string, values: Record<string, unknown>): RunConfig {
  const config = defaultConfig(model, dataset);
  Object.assign(config.values, values);
  const { config: clean, problems } = sanitizeConfig(config);
  expect(problems).toEqual([]);
  return clean;
}

/** One step of a model on a served batch: its terms as numbers. */
export function stepTerms(model: GenerativeModel, data: Dataset, batchSize: number): Record<string, number> {
  const terms = tf.tidy(() => model.step({ data, random: createRandom(1), batchSize }));
  const values = Object.fromEntries(Object.entries(terms).map(([name, term]) => [name, term.dataSync()[0]]));
  tf.dispose(Object.values(terms));
  return values;
}

export async function arrayOf(tensor: tf.Tensor): Promise<NamedArray> {
  return { shape: tensor.shape, values: Float32Array.from(await tensor.data()) };
}

/** TF.js's answers to a step, as inputs.npz holds them: term.<name>, and after.<name>, m.<name>, v.<name> in PyTorch's names and layouts. */
export function answers(config: RunConfig, terms: Record<string, number>, after: Checkpoint): Record<string, NamedArray> {
  const arrays: Record<string, NamedArray> = {};
  for (const [name, value] of Object.entries(terms)) arrays[`term.${name}`] = { shape: [1], values: Float32Array.of(value) };
  const run = exportRun(config);
  const family = exportFamilyOf(config.model)!;
  const saved = checkpointArrays(after);
  for (const plan of family.optimizers(run)) {
    const state = torchState(plan, saved);
    for (const [param, array] of Object.entries(state.weights)) arrays[`after.${param}`] = array;
    for (const [param, array] of Object.entries(state.m)) arrays[`m.${param}`] = array;
    for (const [param, array] of Object.entries(state.v)) arrays[`v.${param}`] = array;
  }
  for (const { key, name } of family.buffers?.(run) ?? []) arrays[`after.${name}`] = saved.get(key)!;
  return arrays;
}

/** The run exported at `checkpoint` into `project`, with extra files beside (inputs.npz). */
export async function writeProject(
  project: string,
  config: RunConfig,
  checkpoint: Checkpoint,
  readDataFile: (name: string) => Promise<Uint8Array>,
  extra: Record<string, Uint8Array> = {},
  readClassifierFile?: (name: string) => Promise<Uint8Array | undefined>,
): Promise<void> {
  const files = await projectFiles({ config, checkpoint, readDataFile, ...(readClassifierFile ? { readClassifierFile } : {}) });
  for (const [path, bytes] of Object.entries({ ...files, ...extra })) {
    mkdirSync(dirname(join(project, path)), { recursive: true });
    writeFileSync(join(project, path), bytes);
  }
}

export const npz = npzBytes;

/** Runs /usr/bin/python3 with these arguments in `cwd`; its standard output, or an error with its standard error (and `why`, if given, on failure). */
export function python(args: string[], cwd: string, timeoutMs = 120_000, options: { env?: Record<string, string>; why?: () => string } = {}): string {
  const run = spawnSync(PYTHON, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...options.env } });
  if (run.status !== 0) {
    const ended = run.signal ? `killed by ${run.signal}${run.error ? ` (${run.error.message})` : ''}` : `exit ${run.status}`;
    throw new Error(`${args.join(' ')} failed, ${ended}:\n${run.stderr}\n${run.stdout.slice(-3000)}\n${options.why?.() ?? ''}`);
  }
  return run.stdout;
}

/**
 * `train.py` in `cwd` under torchrun with two CPU processes (gloo), its workers' logs in
 * `logDir`. --standalone: the rendezvous on a free port (never a port an earlier run
 * holds); gloo on the loopback interface. On failure the error carries the workers' logs.
 */
export function torchrunTwo(trainArgs: string[], cwd: string, logDir: string, timeoutMs = 120_000): string {
  const workerLogs = () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else files.push(`== ${path}\n${readFileSync(path, 'utf8').slice(-2000)}`);
      }
    };
    try { walk(logDir); } catch { return '(no worker logs)'; }
    return files.join('\n');
  };
  // --redirects/--tee: Debian's torch 1.13 on Python 3.11 cannot parse their default "0"
  const args = ['-m', 'torch.distributed.run', '--standalone', '--redirects', '2', '--tee', '1', '--log_dir', logDir, '--nproc_per_node', '2', 'train.py', ...trainArgs];
  const run = () => python(args, cwd, timeoutMs, { env: { GLOO_SOCKET_IFNAME: 'lo' }, why: workerLogs });
  try {
    return run();
  } catch (first) {
    // About one launch in fifteen hung at exit, its results written (torch 1.13, gloo: the
    // process group's destructor under the GIL, pytorch/pytorch#56297), until train.py took
    // to leaving with os._exit (0 hangs in 45 since). A shared 2-core machine still gets one
    // more try, from a clean output folder (train.py appends to its log), before failing;
    // the warning below says when it was needed.
    const out = trainArgs.indexOf('--out-dir');
    if (out >= 0) rmSync(join(cwd, trainArgs[out + 1]), { recursive: true, force: true });
    console.warn(`torchrun failed once, trying again: ${(first as Error).message.split('\n')[0]}`);
    return run();
  }
}

/** A train.py's out/logs.jsonl, line by line. */
export const logLines = (path: string): Record<string, number>[] => readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line));

/** tests/unit/export-parity.py on these projects: the differences it found, by project. */
export function runHarness(projects: string[]): Map<string, Record<string, number>> {
  const run = spawnSync(PYTHON, [HARNESS, ...projects], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`the parity harness failed:\n${run.stderr}`);
  return new Map(run.stdout.trim().split('\n').map((line) => JSON.parse(line)).map((result) => [result.project, result]));
}
