import type { TrainingSession } from '../core/training/session';

/**
 * Every evaluation the model runs by itself (not the on-demand ones), merged into one set
 * of figures, and which of them keep their own names in a summary (Evaluation.ownNames).
 */
export async function evaluateAll(session: TrainingSession): Promise<{ figures: Record<string, number>; ownNames: Set<string> }> {
  const figures: Record<string, number> = {};
  const ownNames = new Set<string>();
  for (const evaluation of session.evaluations) {
    if (evaluation.cadence === 'on-demand') continue;
    const { values } = await session.evaluate(evaluation);
    Object.assign(figures, values);
    if (evaluation.ownNames) Object.keys(values).forEach((key) => ownNames.add(key));
  }
  return { figures, ownNames };
}
