/**
 * A run's checkpoint: its step, its model's whole state and where its random sources
 * stand, with the tensors in TF.js's own weight format (tf.io.encodeWeights: one buffer and
 * a manifest of names, shapes and types). The page keeps checkpoints in IndexedDB, a run
 * file carries one, and the worker resumes from one. This module is TF.js-free, so the
 * page can check a checkpoint it reads; checkpoint-codec.ts makes and opens them.
 */
import type * as tf from '@tensorflow/tfjs';

export interface Checkpoint {
  step: number;
  /** Plain numbers by name: the random sources' positions (the session's batches under `session/`). */
  numbers: Record<string, number>;
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
}

/**
 * An optimizer state's note (among its numbers) that its Adam moments are in its variables'
 * order: `adam/1 + i` and `adam/1 + n + i` are variable i's (./optimizer.ts). States saved
 * before it kept Adam's own order and are read in that order.
 */
export const MOMENTS_IN_VARIABLE_ORDER = 'moments-in-variable-order';

/** The bytes the manifest's tensors take, encoded. */
export function weightBytes(specs: readonly tf.io.WeightsManifestEntry[]): number {
  return specs.reduce((total, spec) => total + spec.shape.reduce((size, n) => size * n, 1) * bytesPer(spec.dtype), 0);
}

function bytesPer(dtype: string): number {
  if (dtype === 'float32' || dtype === 'int32') return 4;
  if (dtype === 'bool') return 1;
  throw new Error(`The checkpoint holds a tensor of type ${dtype}, which runs never save`);
}

/** Is this value shaped like a checkpoint (from a file or a database, before it is trusted)? */
export function isCheckpoint(value: unknown): value is Checkpoint {
  const candidate = value as Partial<Checkpoint> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    Number.isInteger(candidate.step) &&
    (candidate.step as number) >= 0 &&
    typeof candidate.numbers === 'object' &&
    candidate.numbers !== null &&
    Object.values(candidate.numbers).every((n) => typeof n === 'number') &&
    Array.isArray(candidate.specs) &&
    candidate.specs.every((spec) => typeof spec?.name === 'string' && Array.isArray(spec.shape) && spec.shape.every((n: unknown) => Number.isInteger(n) && (n as number) >= 0) && typeof spec.dtype === 'string') &&
    candidate.data instanceof ArrayBuffer
  );
}
