/**
 * Training loss (raw and smoothed) and the held-out loss against steps; for models whose
 * loss has parts (the VAE's reconstruction and KL), a second chart of the parts; and a
 * table of the latest held-out metrics with their units.
 */
import { memo, useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { findModel } from '../../core/models';
import type { TermInfo } from '../../core/models/model';
import { smoothedKey, thinned, type ChartPoint } from '../series';
import { useThrottled } from '../use-throttled';
import { useStore } from '../store';

const format = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(3));
/** Okabe-Ito colours for the parts of a loss, distinguishable by colour-blind readers. */
const PART_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00'];

function termLabel(terms: readonly TermInfo[], key: string): TermInfo {
  return terms.find((term) => term.key === key) ?? { key, label: key.replace(/_/g, ' '), unit: '' };
}

function Axes({ logScale }: { logScale: boolean }) {
  return (
    <>
      <CartesianGrid strokeDasharray="3 3" stroke="#d5dbe3" />
      <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDuplicatedCategory={false} />
      <YAxis scale={logScale ? 'log' : 'auto'} domain={logScale ? ['auto', 'auto'] : [0, 'auto']} tickFormatter={format} width={56} />
      <Tooltip formatter={(value) => format(Number(value))} labelFormatter={(step) => `step ${step}`} />
      <Legend />
    </>
  );
}

const PartsChart = memo(function PartsChart({ train, parts, terms, logScale }: { train: readonly ChartPoint[]; parts: readonly string[]; terms: readonly TermInfo[]; logScale: boolean }) {
  return (
    <div className="chart-area small" data-testid="parts-chart">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <Axes logScale={logScale} />
          {parts.map((part, index) => (
            <Line
              key={part}
              data={train}
              dataKey={smoothedKey(part)}
              name={termLabel(terms, part).label}
              stroke={PART_COLORS[index % PART_COLORS.length]}
              dot={false}
              isAnimationActive={false}
              strokeWidth={2}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
});

function HeldOutTable({ point, terms }: { point: ChartPoint; terms: readonly TermInfo[] }) {
  const keys = Object.keys(point).filter((key) => key !== 'step' && !key.endsWith('_smooth'));
  const explained = keys.map((key) => termLabel(terms, key)).filter((term) => term.help);
  return (
    <>
      <table className="metrics" data-testid="held-out-metrics">
        <caption>Held-out metrics at step {point.step.toLocaleString('en-US')}</caption>
        <tbody>
          {keys.map((key) => {
            const term = termLabel(terms, key);
            return (
              <tr key={key} title={term.help}>
                <th scope="row">{term.label}</th>
                <td>{format(point[key])}</td>
                <td className="unit">{term.unit}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {explained.length > 0 && (
        // Tooltips reach no one on a tablet: what each number is under, one tap away.
        <details className="metrics-help" data-testid="metrics-help">
          <summary>What these numbers mean</summary>
          <dl>
            {explained.map((term) => (
              <div key={term.key}>
                <dt>
                  {term.label} ({term.unit})
                </dt>
                <dd>{term.help}</dd>
              </div>
            ))}
          </dl>
        </details>
      )}
    </>
  );
}

/** Charts redraw at most this often (Recharts takes tens of ms a redraw); the text below them follows every update. */
const CHART_INTERVAL_MS = 500;

/** The loss lines, redrawn only when the throttled, thinned series they get change. */
const LossLines = memo(function LossLines({ train, test, logScale }: { train: readonly ChartPoint[]; test: readonly ChartPoint[]; logScale: boolean }) {
  return (
    <div className="chart-area" data-testid="loss-chart" data-points={train.length}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <Axes logScale={logScale} />
          <Line data={train} dataKey="loss" name="train" stroke="#9fb3c8" dot={false} isAnimationActive={false} strokeWidth={1} />
          <Line data={train} dataKey={smoothedKey('loss')} name="train (smoothed)" stroke="#1d4e89" dot={false} isAnimationActive={false} strokeWidth={2} />
          <Line data={test} dataKey="loss" name="held-out" stroke="#d1495b" dot={{ r: 2 }} isAnimationActive={false} strokeWidth={2} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
});

export function LossChart() {
  const train = useStore((state) => state.train);
  const test = useStore((state) => state.test);
  const modelId = useStore((state) => state.config.model);
  const [logScale, setLogScale] = useState(false);
  const terms = findModel(modelId)?.terms ?? [];
  const lastTrain = train[train.length - 1];
  const lastTest = test[test.length - 1];
  const partsKey = lastTrain ? Object.keys(lastTrain).filter((key) => key !== 'step' && key !== 'loss' && !key.endsWith('_smooth')).join(',') : '';
  const parts = useMemo(() => (partsKey ? partsKey.split(',') : []), [partsKey]);
  const chartTrain = useThrottled(train, CHART_INTERVAL_MS);
  const chartTest = useThrottled(test, CHART_INTERVAL_MS);
  const shownTrain = useMemo(() => thinned(chartTrain), [chartTrain]);
  const lossTerm = termLabel(terms, 'loss');
  const summary =
    lastTrain || lastTest
      ? `At step ${lastTrain?.step ?? lastTest?.step}: training loss ${lastTrain ? format(lastTrain[smoothedKey('loss')]) : 'n/a'} (smoothed)` +
        `${lastTest ? `, held-out loss ${format(lastTest.loss)} at step ${lastTest.step}` : ''}.`
      : 'No losses yet: press Train.';

  return (
    <figure className="card chart" aria-labelledby="loss-heading">
      <div className="chart-header">
        <h2 id="loss-heading">
          Loss <span className="unit">({lossTerm.label}, {lossTerm.unit})</span>
        </h2>
        <label className="toggle">
          <input type="checkbox" checked={logScale} onChange={(event) => setLogScale(event.target.checked)} /> log scale
        </label>
      </div>
      <LossLines train={shownTrain} test={chartTest} logScale={logScale} />
      <figcaption data-testid="loss-summary">{summary}</figcaption>
      {parts.length > 0 && (
        <>
          <h3>Parts of the training loss (smoothed)</h3>
          <PartsChart train={shownTrain} parts={parts} terms={terms} logScale={logScale} />
        </>
      )}
      {lastTest && <HeldOutTable point={lastTest} terms={terms} />}
    </figure>
  );
}
