/** A training handler wired to fakes, recording every message it posts, for Node tests. */
import { useNodeBackend } from '../../src/cli/node-backend';
import { loadNodeImages } from '../../src/cli/node-datasets';
import { findModel } from '../../src/core/models';
import type { ModelSpec } from '../../src/core/models/model';
import type { MetricPoint } from '../../src/core/training/session';
import { createTrainingHandler } from '../../src/worker/handler';
import type { BackendInfo, FromWorker, ToWorker } from '../../src/worker/protocol';
import type { RefreshTiming } from '../../src/worker/refresh-schedule';

export const CPU: BackendInfo = { name: 'cpu', adapter: '', isFallbackAdapter: false, skipped: [] };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `condition` holds, or fails after `timeoutMs`. The default is generous: on a
 * shared machine 20 of the tiny model's steps with their views took from 4.7 to over 20 s
 * in one hour (the handler's pace is not what these tests check), and it stays under
 * vitest's 60 s per test.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** 'status:paused', 'metrics', 'job:running' ... : a message's type (and state, for a status or a job). */
export function tag(message: FromWorker): string {
  return message.type === 'status' || message.type === 'job' ? `${message.type}:${message.state}` : message.type;
}

export type Metrics = Extract<FromWorker, { type: 'metrics' }>;
export type Views = Extract<FromWorker, { type: 'views' }>;
export type Status = Extract<FromWorker, { type: 'status' }>;
export type Job = Extract<FromWorker, { type: 'job' }>;

export function harness(options: { timing?: Partial<RefreshTiming>; models?: ModelSpec[] } = {}) {
  const messages: FromWorker[] = [];
  const backendCalls: string[] = [];
  const handler = createTrainingHandler(
    {
      // As postMessage does: a copy, with every transferred buffer emptied on the sending side.
      post: (message, transfer) => messages.push(structuredClone(message, { transfer })),
      selectBackend: async (choice) => {
        backendCalls.push(choice);
        await useNodeBackend('cpu');
        return CPU;
      },
      loadDataset: async (spec) => loadNodeImages(spec),
      now: () => performance.now(),
      yieldToEvents: () => new Promise((resolve) => setTimeout(resolve, 0)),
      findModel: (id) => options.models?.find((model) => model.id === id) ?? findModel(id),
    },
    { metricsInterval: 0, viewsInterval: 50, checkpointInterval: 1e9, ...options.timing },
  );
  const send = (message: ToWorker) => handler(message);
  const of = (runId: number) => messages.filter((message) => 'runId' in message && message.runId === runId);
  const metrics = (runId: number) => of(runId).filter((m): m is Metrics => m.type === 'metrics');
  const trainPoints = (runId: number) => metrics(runId).flatMap((m) => m.train);
  const trainSteps = (runId: number) => trainPoints(runId).map((point: MetricPoint) => point.step);
  const evaluations = (runId: number) => metrics(runId).flatMap((m) => m.evaluations ?? []);
  const views = (runId: number) => of(runId).filter((m): m is Views => m.type === 'views');
  const jobs = (runId: number, jobId?: string) => of(runId).filter((m): m is Job => m.type === 'job' && (jobId === undefined || m.jobId === jobId));
  const lastStatus = (runId: number) => of(runId).filter((m): m is Status => m.type === 'status').at(-1);
  return { messages, backendCalls, send, of, metrics, trainPoints, trainSteps, evaluations, views, jobs, lastStatus };
}

export type Harness = ReturnType<typeof harness>;
