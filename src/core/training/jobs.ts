/**
 * Long work beside training: a decode, an animated sampler, an evaluation. A job has an id,
 * streams panels with its progress, and can be cancelled: by the page, by a reset, by a
 * new run, or by a newer job of the same kind. Work checks in between chunks
 * (`checkpoint`), which yields to queued messages and training steps, and stops there if
 * cancelled. Nothing here knows about the worker: the handler posts what jobs emit.
 */
import type { ViewPanel } from '../views/panels';

/** Thrown at a checkpoint of a cancelled job; the runner treats it as a quiet end, not an error. */
export class JobCancelled extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'JobCancelled';
  }
}

export interface JobContext {
  readonly cancelled: boolean;
  /** Yields to other work, then throws JobCancelled if the job was cancelled meanwhile. */
  checkpoint(): Promise<void>;
  /** A panel for the page, with the share of the work done (0..1), if known. */
  emit(panel: ViewPanel, progress?: number): void;
  /** Waits about ms so a person can follow (a film's frames), then checks in; no wait where nobody watches (the runner, tests). */
  pace(ms: number): Promise<void>;
}

/** A job context and the switch that cancels it. */
export function cancellable(
  yieldToEvents: () => Promise<void>,
  emit: JobContext['emit'] = () => {},
  wait?: (ms: number) => Promise<void>,
): { job: JobContext; cancel(reason: string): void } {
  let reason: string | undefined;
  const job: JobContext = {
    get cancelled() {
      return reason !== undefined;
    },
    async checkpoint() {
      await yieldToEvents();
      if (reason !== undefined) throw new JobCancelled(reason);
    },
    emit: (panel, progress) => {
      if (reason === undefined) emit(panel, progress);
    },
    async pace(ms) {
      if (wait && ms > 0) await wait(ms);
      await job.checkpoint();
    },
  };
  return {
    job,
    cancel: (why) => {
      reason ??= why;
    },
  };
}

/** A job context that is never cancelled and shows nothing: for the runner and tests. */
export const DETACHED_JOB: JobContext = { cancelled: false, checkpoint: async () => {}, emit: () => {}, pace: async () => {} };

export type JobEnd = { state: 'done' } | { state: 'cancelled'; reason: string } | { state: 'error'; message: string };

export interface JobHooks {
  yieldToEvents(): Promise<void>;
  /** Resolves after ms (a job's pace for a person watching); absent: jobs never wait. */
  wait?(ms: number): Promise<void>;
  /** A panel the job emitted. */
  panel(jobId: string, name: string, panel: ViewPanel, progress?: number): void;
  /** How it ended: once per job. */
  end(jobId: string, name: string, end: JobEnd): void;
}

interface Running {
  /** Jobs of the same kind supersede each other. */
  kind: string;
  cancel(reason: string): void;
  done: Promise<void>;
}

export class JobRunner {
  private readonly running = new Map<string, Running>();

  constructor(private readonly hooks: JobHooks) {}

  get size(): number {
    return this.running.size;
  }

  /** Starts a job; a running job of the same kind (by default, of the same name) is cancelled first ("superseded"). Resolves when it ends. */
  start(jobId: string, name: string, work: (job: JobContext) => Promise<void>, kind = name): Promise<void> {
    for (const other of this.running.values()) if (other.kind === kind) other.cancel('superseded by a newer request');
    const { job, cancel } = cancellable(this.hooks.yieldToEvents, (panel, progress) => this.hooks.panel(jobId, name, panel, progress), this.hooks.wait);
    const done = (async () => {
      let end: JobEnd;
      try {
        await work(job);
        end = job.cancelled ? { state: 'cancelled', reason: 'cancelled' } : { state: 'done' };
      } catch (error) {
        end =
          error instanceof JobCancelled
            ? { state: 'cancelled', reason: error.message }
            : { state: 'error', message: error instanceof Error ? error.message : String(error) };
      }
      this.running.delete(jobId);
      this.hooks.end(jobId, name, end);
    })();
    this.running.set(jobId, { kind, cancel, done });
    return done;
  }

  cancel(jobId: string, reason: string): Promise<void> {
    const job = this.running.get(jobId);
    if (!job) return Promise.resolve();
    job.cancel(reason);
    return job.done;
  }

  /** Cancels every job and resolves once all have stopped touching the model. */
  async cancelAll(reason: string): Promise<void> {
    const jobs = [...this.running.values()];
    jobs.forEach((job) => job.cancel(reason));
    await Promise.all(jobs.map((job) => job.done));
  }
}
