import type { TrainingSession } from '../core/training/session';

/** Every evaluation the model runs by itself (not the on-demand ones), merged into one set of figures. */
export async function evaluateAll(session: TrainingSession): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const evaluation of session.evaluations) {
    if (evaluation.cadence !== 'on-demand') Object.assign(figures, (await session.evaluate(evaluation)).values);
  }
  return figures;
}
