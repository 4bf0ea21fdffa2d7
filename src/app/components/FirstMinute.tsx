/**
 * The model in one line, and what to expect first: "the grey blurs turn into recognisable
 * digits within about 300 steps: about 40 s at this speed". When that would take minutes
 * on this machine, it says so and offers the model's smaller preset.
 */
import { findDataset } from '../../core/datasets/catalog';
import { findModel } from '../../core/models';
import { cardFor } from '../../core/models/model';
import { applyPreset } from '../controller';
import { useStore } from '../store';

/** Seconds to wait before the page calls a model slow on this machine. */
const SLOW_SECONDS = 180;

export function duration(seconds: number): string {
  if (seconds < 10) return 'a few seconds';
  if (seconds < 60) return `about ${Math.round(seconds / 5) * 5} s`;
  return `about ${Math.round(seconds / 60)} min`;
}

/** The first sentence of a text. */
const firstSentence = (text: string) => text.split(/(?<=\.)\s/)[0];

export function FirstMinute() {
  const { model: modelId, dataset: datasetId } = useStore((state) => state.config);
  const step = useStore((state) => state.step);
  const stepsPerSecond = useStore((state) => state.throughput.stepsPerSecond);
  const runState = useStore((state) => state.runState);
  const model = findModel(modelId);
  const dataset = findDataset(datasetId);
  if (!model || !dataset) return null;
  const first = model.firstResults[dataset.kind];
  const items = dataset.kind === 'image' ? dataset.items : 'points';
  const remaining = first ? Math.max(0, first.steps - step) : 0;
  const seconds = stepsPerSecond > 0 ? remaining / stepsPerSecond : undefined;
  const slow = seconds !== undefined && seconds > SLOW_SECONDS && model.smallPreset;

  let hint = '';
  if (first) {
    const what = first.text.replace('{items}', items);
    if (remaining === 0) hint = `After about ${first.steps.toLocaleString('en-US')} steps, ${what}: look at them now.`;
    else if (seconds === undefined) hint = `Press Train: within about ${first.steps.toLocaleString('en-US')} steps, ${what}.`;
    else hint = `Within about ${remaining.toLocaleString('en-US')} more steps (${duration(seconds)} at this speed), ${what}.`;
  }

  return (
    <div className="first-minute" data-testid="first-minute">
      <p className="model-line">
        <strong>{model.name}.</strong> {firstSentence(cardFor(model.card, dataset.kind).summary)}
      </p>
      {hint && runState !== 'error' && <p className="hint">{hint}</p>}
      {slow && (
        <p className="hint slow">
          That is slow on this machine.{' '}
          <button type="button" className="small-button" onClick={() => applyPreset(model.smallPreset!.values)}>
            {model.smallPreset!.label}
          </button>
        </p>
      )}
    </div>
  );
}
