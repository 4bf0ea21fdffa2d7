/**
 * Keeps the page's current run in the browser as it trains: at every checkpoint the
 * worker sends (every 30 s of training, and at every pause), the run's record (link,
 * curves, figures, thumbnail) and its checkpoint are written together. The latest
 * checkpoint also stays in memory, so a replaced worker resumes from it without reading
 * the database. A storage failure is said once per run and never stops training.
 */
import { encodeLink } from '../../core/url-codec';
import type { Checkpoint } from '../../core/training/checkpoint';
import { useStore, type PlaygroundState } from '../store';
import { pruneCheckpoints, saveRun, storageProblem, updateRun, type RunRecord } from './run-records';
import { thumbnailOf } from './thumbnail';

/** The latest checkpoint of the run the page shows. */
let latest: { key: string; checkpoint: Checkpoint } | undefined;
/** Runs written at least once, by key: only those get later updates (a run that never trained is not kept). */
const written = new Set<string>();
/** A run whose storage failed is not retried: one message, then training goes on unsaved. */
const failed = new Set<string>();
let writes: Promise<void> = Promise.resolve();

function recordOf(state: PlaygroundState): RunRecord {
  const { kept, config } = state;
  return {
    key: kept.key,
    name: kept.name,
    created: kept.created,
    updated: Date.now(),
    config,
    link: encodeLink(config),
    step: state.step,
    train: state.train,
    test: state.test,
    heldOut: state.heldOut,
    ...(latest?.key === kept.key ? { checkpointStep: latest.checkpoint.step } : {}),
    thumbnail: thumbnailOf(state.panels),
    live: true,
    training: state.runState === 'running' || state.resumeWhenReady,
  };
}

function write(key: string, work: () => Promise<void>): Promise<void> {
  if (failed.has(key)) return writes;
  writes = writes.then(work).catch((error: unknown) => {
    failed.add(key);
    useStore.setState({ notice: storageProblem(error) });
  });
  return writes;
}

/** A checkpoint arrived: keep it, with the record as it stands. */
export function keepCheckpoint(checkpoint: Checkpoint): Promise<void> {
  const state = useStore.getState();
  latest = { key: state.kept.key, checkpoint };
  const record = recordOf(state);
  written.add(record.key);
  return write(record.key, async () => {
    await saveRun(record, checkpoint);
    await pruneCheckpoints();
  });
}

/** The figures or views changed while paused: bring the kept record up to date (its checkpoint stays). */
export function keepRecord(): Promise<void> {
  const state = useStore.getState();
  if (!written.has(state.kept.key)) return writes;
  const record = recordOf(state);
  return write(record.key, () => saveRun(record));
}

/** The latest checkpoint of this run, if the page holds one. */
export function latestCheckpoint(key: string): Checkpoint | undefined {
  return latest?.key === key ? latest.checkpoint : undefined;
}

/** The page moves on from this run (another setting, Reset, another run opened): a reload will not resume it. */
export function releaseRun(key: string): Promise<void> {
  if (!written.has(key)) return writes;
  return write(key, () => updateRun(key, { live: false, training: false }));
}

/** A kept run the page shows again (opened from the list, resumed at load): later checkpoints update it. */
export function adoptRun(key: string, checkpoint?: Checkpoint): void {
  written.add(key);
  if (checkpoint) latest = { key, checkpoint };
}

/** Resolves once every write asked for so far has finished (the tests and the run list wait on it). */
export const settled = () => writes;
