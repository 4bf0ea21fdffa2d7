/**
 * A run as one file: its link, curves, figures, thumbnail and checkpoint (weights in
 * TF.js's format, base64 in JSON), so a teacher can train once and hand the file to a
 * class. Reading a file trusts nothing in it: the configuration is rebuilt from the link
 * by the same checks a share link goes through, and anything malformed is refused with a
 * sentence that says what is wrong, before anything is stored.
 */
import { isCheckpoint, weightBytes, type Checkpoint } from '../../core/training/checkpoint';
import { decodeLink } from '../../core/url-codec';
import type { ChartPoint, HeldOutFigure } from '../series';
import type { RunRecord } from './run-records';

export const RUN_FILE_FORMAT = 'generative-playground-run';
export const RUN_FILE_VERSION = 1;

interface RunFile {
  format: typeof RUN_FILE_FORMAT;
  version: number;
  exported: string;
  run: Pick<RunRecord, 'name' | 'created' | 'link' | 'step' | 'train' | 'test' | 'heldOut' | 'thumbnail'>;
  checkpoint: (Omit<Checkpoint, 'data'> & { data: string }) | null;
}

export function runFileName(run: Pick<RunRecord, 'name' | 'step'>): string {
  const slug = run.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'run';
  return `${slug}-step-${run.step}.run.json`;
}

export function encodeRunFile(run: RunRecord, checkpoint: Checkpoint | undefined, now = new Date()): string {
  const file: RunFile = {
    format: RUN_FILE_FORMAT,
    version: RUN_FILE_VERSION,
    exported: now.toISOString(),
    run: { name: run.name, created: run.created, link: run.link, step: run.step, train: run.train, test: run.test, heldOut: run.heldOut, ...(run.thumbnail ? { thumbnail: run.thumbnail } : {}) },
    checkpoint: checkpoint ? { ...checkpoint, data: toBase64(checkpoint.data) } : null,
  };
  return JSON.stringify(file);
}

export class RunFileError extends Error {}

/** The run a file holds, as a new kept run (a new key, not live), and its checkpoint; throws RunFileError saying why not. */
export function decodeRunFile(text: string, key: string, now = Date.now()): { run: RunRecord; checkpoint?: Checkpoint } {
  let file: Partial<RunFile>;
  try {
    file = JSON.parse(text) as Partial<RunFile>;
  } catch {
    throw new RunFileError('This is not a run file: it is not JSON. Choose a file the page exported (…run.json).');
  }
  if (typeof file !== 'object' || file === null || file.format !== RUN_FILE_FORMAT) throw new RunFileError('This is not a run file of Generative Playground: choose a file the page exported (…run.json).');
  if (file.version !== RUN_FILE_VERSION) throw new RunFileError(`This run file is of version ${String(file.version)}; this page reads version ${RUN_FILE_VERSION}.`);
  const run = file.run;
  if (typeof run !== 'object' || run === null || typeof run.link !== 'string') throw new RunFileError('This run file is damaged: it has no link to the run.');
  const { config, warnings } = decodeLink(run.link);
  if (warnings.length > 0) throw new RunFileError(`This run file's settings do not fit this page: ${warnings[0]}`);
  if (!Number.isInteger(run.step) || run.step < 0) throw new RunFileError('This run file is damaged: its step count is not a whole number.');
  const series = (points: unknown, name: string): ChartPoint[] => {
    if (!Array.isArray(points) || !points.every((point) => typeof point === 'object' && point !== null && Object.values(point).every((value) => typeof value === 'number'))) {
      throw new RunFileError(`This run file is damaged: its ${name} are not lists of numbers.`);
    }
    return points as ChartPoint[];
  };
  let checkpoint: Checkpoint | undefined;
  if (file.checkpoint) {
    const data = fromBase64(String(file.checkpoint.data));
    const candidate = { ...file.checkpoint, data };
    if (!data || !isCheckpoint(candidate)) throw new RunFileError('This run file is damaged: its weights cannot be read.');
    let expected: number;
    try {
      expected = weightBytes(candidate.specs);
    } catch (error) {
      throw new RunFileError(`This run file is damaged: ${(error as Error).message}.`);
    }
    if (expected !== data.byteLength) throw new RunFileError('This run file is damaged: its weights are cut short or padded.');
    checkpoint = candidate;
  }
  const thumbnail = typeof run.thumbnail === 'string' && run.thumbnail.startsWith('data:image/png;base64,') ? run.thumbnail : undefined;
  const record: RunRecord = {
    key,
    name: typeof run.name === 'string' && run.name.trim() ? run.name.slice(0, 120) : `${config.model} on ${config.dataset}`,
    created: typeof run.created === 'number' ? run.created : now,
    updated: now,
    config,
    link: run.link,
    step: run.step,
    train: series(run.train, 'training curves'),
    test: series(run.test, 'held-out curves'),
    heldOut: figures(run.heldOut),
    ...(thumbnail ? { thumbnail } : {}),
    ...(checkpoint ? { checkpointStep: checkpoint.step } : {}),
    live: false,
    training: false,
  };
  return checkpoint ? { run: record, checkpoint } : { run: record };
}

function figures(value: unknown): Record<string, HeldOutFigure> {
  if (value === undefined) return {};
  const ok =
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every((figure) => typeof figure === 'object' && figure !== null && typeof figure.value === 'number' && typeof figure.step === 'number' && typeof figure.basis === 'string');
  if (!ok) throw new RunFileError('This run file is damaged: its figures are not numbers.');
  return value as Record<string, HeldOutFigure>;
}

function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let text = '';
  // in slices: String.fromCharCode takes its characters as arguments, and a call has a limit
  for (let start = 0; start < bytes.length; start += 0x8000) text += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): ArrayBuffer | undefined {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  } catch {
    return undefined;
  }
}
