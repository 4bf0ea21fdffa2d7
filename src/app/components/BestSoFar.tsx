/**
 * The step where the samples were best so far (the lowest Frechet classifier distance, or
 * the most clusters reached), and a button to go back to it: a GAN's samples can get worse
 * the longer it trains, and going back is what its losses alone cannot tell you to do.
 */
import { termsOf } from '../../core/metrics/quality-terms';
import type { ModelSpec } from '../../core/models/model';
import { goBackToBest } from '../controller';
import { useStore } from '../store';
import { reading } from './Charts';

export function BestSoFar({ model }: { model: ModelSpec }) {
  const best = useStore((state) => state.best);
  const step = useStore((state) => state.step);
  const runState = useStore((state) => state.runState);
  if (!best || best.checkpoint.step >= step) return null;
  const describe = (key: string, value: number) => {
    const term = termsOf(model).find((candidate) => candidate.key === key);
    return `${term?.label ?? key} ${term?.count ? value.toLocaleString('en-US') : reading(value)}`;
  };
  return (
    <p className="best-so-far" data-testid="best-so-far">
      Best samples so far: {describe(best.key, best.value)} at step {best.checkpoint.step.toLocaleString('en-US')}.{' '}
      <button type="button" className="small-button" onClick={() => goBackToBest(describe)} disabled={runState === 'loading'} data-testid="go-back-to-best">
        Go back to step {best.checkpoint.step.toLocaleString('en-US')}
      </button>
    </p>
  );
}
