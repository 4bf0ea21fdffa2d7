/**
 * What can go wrong with a run, and how the page hears of it: a run too large for a tab is
 * refused before it starts; a memory failure while it runs is fatal (only a new worker
 * recovers from it); anything else is an error the run may survive.
 */
import { datasetOf, settingsOf, type RunConfig } from '../core/config';
import type { ModelSpec } from '../core/models/model';
import type { FromWorker } from './protocol';

/** What a training step may need, at most: a school laptop's tab can count on about this much. */
export const MEMORY_BUDGET_BYTES = 2 ** 30;

/**
 * A failure that leaves the backend unusable: WebAssembly's memory exhausted ("Aborted()",
 * an out-of-bounds access after a failed growth, a heap view that cannot be made over the
 * grown memory) or an allocation refused. Only a new worker recovers from it.
 */
export function isMemoryFailure(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return /Aborted\(\)|out of memory|memory access out of bounds|could not allocate|allocation failed|Array buffer allocation|Invalid typed array length|Maximum memory size|WebAssembly\.Memory/i.test(text);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The message that reports a failure of run `runId`: fatal for a memory failure, an error (after `prefix`) otherwise. */
export function failureReport(runId: number, error: unknown, prefix = ''): Extract<FromWorker, { type: 'fatal' | 'error' }> {
  if (isMemoryFailure(error)) return { type: 'fatal', runId, reason: 'out-of-memory', message: `The run ran out of memory (${errorText(error)}).` };
  return { type: 'error', runId, message: `${prefix}${errorText(error)}` };
}

const megabytes = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${Math.ceil(bytes / 2 ** 20)} MB`);

/** Why a run would not fit, naming what to lower; undefined when it fits. */
export function memoryRefusal(spec: ModelSpec, config: RunConfig, bytes: number | undefined): string | undefined {
  if (bytes === undefined || bytes <= MEMORY_BUDGET_BYTES) return undefined;
  const settings = settingsOf(spec, datasetOf(config));
  const named = ['batch', ...(spec.memoryHints ?? [])].flatMap((key) => settings.find((param) => param.key === key)?.label.toLowerCase() ?? []);
  return (
    `This ${spec.name.toLowerCase()} would need about ${megabytes(bytes)} of memory for a training step, ` +
    `and a browser tab can count on about ${megabytes(MEMORY_BUDGET_BYTES)}. Lower the ${named.join(' or the ')}.`
  );
}
