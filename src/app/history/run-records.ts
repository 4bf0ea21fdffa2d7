/**
 * Runs kept in the browser's IndexedDB (through `idb`): every run that trained, with its
 * link, curves, latest figures and a thumbnail of its samples, and beside it (a store of
 * its own, so listing runs never reads weights) its latest checkpoint. A reload, a crash
 * or a closed laptop loses at most one checkpoint interval of training.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { RunConfig } from '../../core/config';
import type { Checkpoint } from '../../core/training/checkpoint';
import type { ChartPoint, HeldOutFigure } from '../series';

export interface RunRecord {
  /** Stable across reloads: the page's run ids are not. */
  key: string;
  /** What the person called it; by default the model and dataset. */
  name: string;
  created: number;
  updated: number;
  config: RunConfig;
  /** The share link's hash, without '#'. */
  link: string;
  step: number;
  train: ChartPoint[];
  test: ChartPoint[];
  heldOut: Record<string, HeldOutFigure>;
  /** A small PNG of its samples (a data: URL). */
  thumbnail?: string;
  /** The step of the checkpoint kept beside it; absent: none (its model keeps no state, or it never paused). */
  checkpointStep?: number;
  /** It was the page's current run when the page last wrote it: a reload of the same link resumes it. */
  live: boolean;
  /** It was training then: a resumed run goes on training. */
  training: boolean;
}

interface PlaygroundDB extends DBSchema {
  runs: { key: string; value: RunRecord; indexes: { updated: number } };
  checkpoints: { key: string; value: Checkpoint };
}

const DB_NAME = 'generative-playground';

let opening: Promise<IDBPDatabase<PlaygroundDB>> | undefined;

function database(): Promise<IDBPDatabase<PlaygroundDB>> {
  opening ??= openDB<PlaygroundDB>(DB_NAME, 1, {
    upgrade(db) {
      db.createObjectStore('runs', { keyPath: 'key' }).createIndex('updated', 'updated');
      db.createObjectStore('checkpoints');
    },
  });
  return opening;
}

/** Newest first. */
export async function listRuns(): Promise<RunRecord[]> {
  const runs = await (await database()).getAllFromIndex('runs', 'updated');
  return runs.reverse();
}

export async function getRun(key: string): Promise<RunRecord | undefined> {
  return (await database()).get('runs', key);
}

export async function getCheckpoint(key: string): Promise<Checkpoint | undefined> {
  return (await database()).get('checkpoints', key);
}

/** Writes the run, and with `checkpoint` its checkpoint, in one transaction: the record never names a checkpoint it does not have. */
export async function saveRun(run: RunRecord, checkpoint?: Checkpoint): Promise<void> {
  const db = await database();
  const transaction = db.transaction(['runs', 'checkpoints'], 'readwrite');
  const writes: Promise<unknown>[] = [transaction.objectStore('runs').put(checkpoint ? { ...run, checkpointStep: checkpoint.step } : run)];
  if (checkpoint) writes.push(transaction.objectStore('checkpoints').put(checkpoint, run.key));
  await Promise.all([...writes, transaction.done]);
}

/** Changes some fields of a kept run (its name, whether it is live). */
export async function updateRun(key: string, change: Partial<Omit<RunRecord, 'key'>>): Promise<void> {
  const db = await database();
  const transaction = db.transaction('runs', 'readwrite');
  const run = await transaction.store.get(key);
  if (run) await transaction.store.put({ ...run, ...change });
  await transaction.done;
}

/** Runs whose weights are kept, at most: the newest; older runs keep their curves, figures and link, and start again from step 0 when opened. */
export const KEPT_WEIGHTS = 12;

/**
 * Drops the weights of all but the newest `keep` runs that have them (a DAE's weights and
 * Adam's moments are about 19 MB; a class that fiddles with settings makes many runs).
 * Returns the keys whose weights were dropped.
 */
export async function pruneCheckpoints(keep = KEPT_WEIGHTS): Promise<string[]> {
  const withWeights = (await listRuns()).filter((run) => run.checkpointStep !== undefined);
  const dropped = withWeights.slice(keep);
  if (dropped.length === 0) return [];
  const db = await database();
  const transaction = db.transaction(['runs', 'checkpoints'], 'readwrite');
  const writes = dropped.flatMap((run) => {
    const { checkpointStep: _dropped, ...rest } = run;
    return [transaction.objectStore('checkpoints').delete(run.key), transaction.objectStore('runs').put(rest)];
  });
  await Promise.all([...writes, transaction.done]);
  return dropped.map((run) => run.key);
}

export async function deleteRun(key: string): Promise<void> {
  const db = await database();
  const transaction = db.transaction(['runs', 'checkpoints'], 'readwrite');
  await Promise.all([transaction.objectStore('runs').delete(key), transaction.objectStore('checkpoints').delete(key), transaction.done]);
}

export async function clearRuns(): Promise<void> {
  const db = await database();
  const transaction = db.transaction(['runs', 'checkpoints'], 'readwrite');
  await Promise.all([transaction.objectStore('runs').clear(), transaction.objectStore('checkpoints').clear(), transaction.done]);
}

/** The run a reload of this link should resume: the newest live one with this link and a checkpoint. */
export async function findResumable(link: string): Promise<RunRecord | undefined> {
  return (await listRuns()).find((run) => run.live && run.link === link && run.checkpointStep !== undefined);
}

/** A storage error in words a person can act on (a full disk, a private window). */
export function storageProblem(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError') return 'The browser has no room left to keep runs: delete some in the Runs list. Training goes on; this run is not being saved.';
  if (name === 'InvalidStateError' || name === 'SecurityError' || name === 'UnknownError') return 'This browser does not let the page keep runs (a private window?). Training goes on; runs will not survive a reload.';
  return `Could not keep this run in the browser (${error instanceof Error ? error.message : String(error)}). Training goes on.`;
}
