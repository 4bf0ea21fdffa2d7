/**
 * A run continued in PyTorch, back into the app: train.py's out/manifest.json and
 * out/weights.npz become a checkpoint the worker resumes from (PyTorch's layouts turned
 * back into TF.js's, Adam's moments and step counts included), and out/logs.jsonl becomes
 * the run's curves. Pure TypeScript, like the export.
 */
import { strFromU8, unzipSync } from 'fflate';
import { decodeLink } from '../core/url-codec';
import { sanitizeConfig, type RunConfig } from '../core/config';
import type { ParamValue } from '../core/params/schema';
import { MOMENTS_IN_VARIABLE_ORDER, type Checkpoint } from '../core/training/checkpoint';
import type { NamedArray } from './npy';
import { EXPORT_FORMAT, exportRun } from './project';
import { exportFamilyOf } from './registry';
import { permute, type Layout } from './torch-layout';

/** The arrays of an .npz file (float32 ones: all train.py writes). */
export function readNpz(bytes: Uint8Array): Map<string, NamedArray> {
  const arrays = new Map<string, NamedArray>();
  for (const [file, data] of Object.entries(unzipSync(bytes))) {
    if (!file.endsWith('.npy')) continue;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const major = data[6];
    const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
    const start = major === 1 ? 10 : 12;
    const header = strFromU8(data.subarray(start, start + headerLength));
    const shapeText = /'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '';
    if (!header.includes("'descr': '<f4'") || header.includes("'fortran_order': True")) throw new Error(`${file} is not a little-endian float32 array in C order`);
    const shape = shapeText.split(',').map((part) => part.trim()).filter(Boolean).map(Number);
    const count = shape.reduce((product, size) => product * size, 1);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(start + headerLength + 4 * i, true);
    arrays.set(file.slice(0, -'.npy'.length), { shape, values });
  }
  return arrays;
}

/** What train.py writes beside weights.npz. */
export interface TorchManifest {
  format: string;
  model: string;
  dataset: string;
  step: number;
  link?: string;
  settings?: Record<string, ParamValue>;
  optimizers: Record<string, { step: number }>;
}

/** PyTorch's layout back to TF.js's: the inverse of the export's axis order. */
function toTfLayout(array: NamedArray, layout: Layout): NamedArray {
  const forward = layout === 'dense' ? [1, 0] : layout === 'as-is' ? undefined : [3, 2, 0, 1];
  if (!forward) return array;
  const inverse: number[] = [];
  forward.forEach((axis, i) => (inverse[axis] = i));
  return permute(array, inverse);
}

/** Tensors in tf.io.encodeWeights' layout: a manifest and one buffer. */
function encode(tensors: { name: string; array: NamedArray; dtype: 'float32' | 'int32' }[]): Pick<Checkpoint, 'specs' | 'data'> {
  const bytes = tensors.reduce((total, { array }) => total + 4 * array.values.length, 0);
  const data = new ArrayBuffer(bytes);
  const view = new DataView(data);
  let offset = 0;
  for (const { array, dtype } of tensors) {
    for (const value of array.values) {
      if (dtype === 'int32') view.setInt32(offset, Math.round(value), true);
      else view.setFloat32(offset, value, true);
      offset += 4;
    }
  }
  return { specs: tensors.map(({ name, array, dtype }) => ({ name, shape: [...array.shape], dtype })), data };
}

/**
 * The checkpoint of a run continued in PyTorch, for the run of `config`. The random
 * sources (batches, noise) cannot come back from PyTorch's generator: they start afresh
 * from the step, so the run goes on with other draws, not other weights.
 */
export function importedCheckpoint(config: RunConfig, manifest: TorchManifest, arrays: ReadonlyMap<string, NamedArray>): Checkpoint {
  const family = exportFamilyOf(config.model);
  if (!family) throw new Error(`Runs of ${config.model} cannot come back from PyTorch yet`);
  const run = exportRun(config);
  const read = (name: string) => {
    const array = arrays.get(name);
    if (!array) throw new Error(`weights.npz has no ${name}: it was written by another model or configuration`);
    return array;
  };
  const tensors: Parameters<typeof encode>[0] = [];
  for (const plan of family.optimizers(run)) {
    const adam = manifest.optimizers[plan.id];
    if (!adam) throw new Error(`manifest.json has no optimizer ${plan.id}`);
    plan.params.forEach(({ name, layout }, i) => tensors.push({ name: `${plan.statePrefix}weights/${i}`, array: toTfLayout(read(name), layout), dtype: 'float32' }));
    tensors.push({ name: `${plan.statePrefix}adam/0`, array: { shape: [], values: Float32Array.of(adam.step) }, dtype: 'int32' });
    if (!arrays.has(`adam.${plan.id}.m.${plan.params[0].name}`)) continue;
    const n = plan.params.length;
    plan.params.forEach(({ name, layout }, i) => {
      tensors.push({ name: `${plan.statePrefix}adam/${1 + i}`, array: toTfLayout(read(`adam.${plan.id}.m.${name}`), layout), dtype: 'float32' });
      tensors.push({ name: `${plan.statePrefix}adam/${1 + n + i}`, array: toTfLayout(read(`adam.${plan.id}.v.${name}`), layout), dtype: 'float32' });
    });
  }
  for (const { key, name } of family.buffers?.(run) ?? []) tensors.push({ name: key, array: read(name), dtype: 'float32' });
  // positions of the app's mulberry32 sources, fresh from the step
  const fresh = (manifest.step * 2654435761) >>> 0;
  const numbers: Record<string, number> = { 'session/batches': fresh, 'noise/state': fresh ^ 0x9e3779b9 };
  for (const { key, name } of family.numbers?.(run) ?? []) numbers[key] = read(name).values[0];
  // the moments above are in the variables' order (core/training/optimizer.ts)
  for (const plan of family.optimizers(run)) numbers[`${plan.statePrefix}${MOMENTS_IN_VARIABLE_ORDER}`] = 1;
  return { step: manifest.step, numbers, ...encode(tensors) };
}

/** A point of a curve: the step and its terms, as the runner's JSON lines hold them. */
export interface CurvePoint {
  step: number;
  values: Record<string, number>;
}

/** The curves of logs.jsonl: training terms, and held-out ones (their `test_` taken off). */
export function importedCurves(logs: string): { train: CurvePoint[]; test: CurvePoint[] } {
  const train: CurvePoint[] = [];
  const test: CurvePoint[] = [];
  for (const line of logs.split('\n')) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (typeof entry.step !== 'number' || entry.summary) continue;
    const own: Record<string, number> = {};
    const held: Record<string, number> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (key === 'step' || typeof value !== 'number') continue;
      if (key.startsWith('test_')) held[key.slice('test_'.length)] = value;
      else own[key] = value;
    }
    train.push({ step: entry.step, values: own });
    if (Object.keys(held).length > 0) test.push({ step: entry.step, values: held });
  }
  return { train, test };
}

/** A continued run from train.py's files: its configuration (from the manifest's link), checkpoint and curves. */
export function importPytorchRun(files: { manifest: string; weights: Uint8Array; logs?: string }): { config: RunConfig; checkpoint: Checkpoint; train: CurvePoint[]; test: CurvePoint[] } {
  const manifest = JSON.parse(files.manifest) as TorchManifest;
  if (manifest.format !== EXPORT_FORMAT || typeof manifest.link !== 'string') throw new Error('This manifest.json was not written by an exported train.py');
  const { config: linked, warnings } = decodeLink(manifest.link);
  if (warnings.length > 0) throw new Error(`The run's settings do not fit this page: ${warnings[0]}`);
  // the settings train.py ran with (flags may have changed them), through the page's own checks
  const { config, problems } = sanitizeConfig({ ...linked, values: { ...linked.values, ...(manifest.settings ?? {}) } });
  if (problems.length > 0) throw new Error(`The run's settings do not fit this page: ${problems[0]}`);
  const checkpoint = importedCheckpoint(config, manifest, readNpz(files.weights));
  return { config, checkpoint, ...(files.logs ? importedCurves(files.logs) : { train: [], test: [] }) };
}
