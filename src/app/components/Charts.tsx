/**
 * The model's charts, as its spec lists them (terms, scale), and a table of the latest
 * held-out figures with when and on what each was computed. The first chart draws the raw
 * training values, their moving average and the held-out points; the others draw moving
 * averages and held-out points. No axis is anchored at 0 when a value goes below it.
 */
import { memo, useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { findModel } from '../../core/models';
import type { ChartSpec, TermInfo } from '../../core/models/model';
import { evaluateNow } from '../controller';
import { smoothedKey, thinned, type ChartPoint } from '../series';
import { useStore, type HeldOutFigure } from '../store';
import { useThrottled } from '../use-throttled';

const format = (value: number) => (!Number.isFinite(value) ? String(value) : Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(3));
/** Okabe-Ito colours, distinguishable by colour-blind readers. */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00'];
/** Charts redraw at most this often (Recharts takes tens of ms a redraw); the text below them follows every update. */
const CHART_INTERVAL_MS = 500;

export function termLabel(terms: readonly TermInfo[], key: string): TermInfo {
  return terms.find((term) => term.key === key) ?? { key, label: key.replace(/_/g, ' '), unit: '' };
}

/** The smallest value of some keys over some points: is anything below zero, or at it? */
function lowest(points: readonly ChartPoint[], keys: readonly string[]): number {
  let low = Infinity;
  for (const point of points) for (const key of keys) if (Number.isFinite(point[key])) low = Math.min(low, point[key]);
  return low;
}

interface ChartProps {
  chart: ChartSpec;
  /** The person asked for log axes on every chart. */
  logAll: boolean;
  primary: boolean;
  train: readonly ChartPoint[];
  test: readonly ChartPoint[];
  terms: readonly TermInfo[];
}

const ModelChart = memo(function ModelChart({ chart, logAll, primary, train, test, terms }: ChartProps) {
  const trained = chart.terms.filter((key) => train.some((point) => key in point));
  const heldOut = chart.terms.filter((key) => test.some((point) => key in point));
  const drawn = [...trained.map(smoothedKey), ...(primary ? trained : []), ...heldOut];
  const low = Math.min(lowest(train, drawn), lowest(test, heldOut));
  // A log axis needs positive values: with a zero or a negative one, the chart falls back to linear.
  const logScale = (logAll || chart.scale === 'log') && low > 0;
  const domain: [number | 'auto', number | 'auto'] = logScale || low < 0 ? ['auto', 'auto'] : [0, 'auto'];
  const many = chart.terms.length > 1;
  return (
    <>
      {(logAll || chart.scale === 'log') && Number.isFinite(low) && (
        <p className="help">
          {logScale ? 'Log scale: equal steps up the axis multiply the value.' : 'Drawn on a linear scale: a value at or below 0 has no logarithm.'}
        </p>
      )}
      <div className={primary ? 'chart-area' : 'chart-area small'} data-testid={`${chart.id}-chart`} data-points={train.length} data-scale={logScale ? 'log' : 'linear'}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#d5dbe3" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDuplicatedCategory={false} />
            <YAxis scale={logScale ? 'log' : 'auto'} domain={domain} allowDataOverflow={false} tickFormatter={format} width={56} />
            <Tooltip formatter={(value) => format(Number(value))} labelFormatter={(step) => `step ${step}`} />
            <Legend />
            {chart.terms.map((key, index) => {
              const color = COLORS[index % COLORS.length];
              const label = many ? termLabel(terms, key).label : 'train';
              return [
                primary && trained.includes(key) && (
                  <Line key={`${key}-raw`} data={train} dataKey={key} name={`${label} (each step)`} stroke="#9fb3c8" dot={false} connectNulls isAnimationActive={false} strokeWidth={1} />
                ),
                trained.includes(key) && (
                  <Line key={`${key}-smooth`} data={train} dataKey={smoothedKey(key)} name={`${label} (smoothed)`} stroke={color} dot={false} connectNulls isAnimationActive={false} strokeWidth={2} />
                ),
                heldOut.includes(key) && (
                  <Line
                    key={`${key}-test`}
                    data={test}
                    dataKey={key}
                    name={many ? `${label} (held out)` : 'held-out'}
                    stroke={many ? color : '#d1495b'}
                    strokeDasharray={many ? '5 3' : undefined}
                    dot={{ r: 2 }}
                    connectNulls
                    isAnimationActive={false}
                    strokeWidth={2}
                  />
                ),
              ];
            })}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </>
  );
});

function HeldOutTable({ heldOut, terms }: { heldOut: Record<string, HeldOutFigure>; terms: readonly TermInfo[] }) {
  const keys = Object.keys(heldOut);
  const groups = [...new Set(keys.map((key) => heldOut[key].evaluation))];
  const explained = keys.map((key) => termLabel(terms, key)).filter((term) => term.help);
  return (
    <>
      <table className="metrics" data-testid="held-out-metrics">
        <caption>Held-out figures</caption>
        {groups.map((evaluation) => {
          const rows = keys.filter((key) => heldOut[key].evaluation === evaluation);
          const { basis, step, fromStep } = heldOut[rows[0]];
          return (
            <tbody key={evaluation} data-evaluation={evaluation}>
              <tr className="metrics-group">
                <th colSpan={3} scope="colgroup">
                  On {basis}, {fromStep === undefined ? `at step ${step.toLocaleString('en-US')}` : `over steps ${fromStep.toLocaleString('en-US')}-${step.toLocaleString('en-US')} (training went on)`}
                </th>
                <td>
                  <button type="button" className="small-button" onClick={() => evaluateNow(evaluation)} aria-label={`Compute the figures on ${basis} now`}>
                    Update
                  </button>
                </td>
              </tr>
              {rows.map((key) => {
                const term = termLabel(terms, key);
                return (
                  <tr key={key} title={term.help}>
                    <th scope="row">{term.label}</th>
                    <td>{format(heldOut[key].value)}</td>
                    <td className="unit" colSpan={2}>
                      {term.unit}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          );
        })}
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

export function Charts() {
  const train = useStore((state) => state.train);
  const test = useStore((state) => state.test);
  const heldOut = useStore((state) => state.heldOut);
  const modelId = useStore((state) => state.config.model);
  const model = findModel(modelId);
  const terms = model?.terms ?? [];
  const charts = model?.charts ?? [];
  const chartTrain = useThrottled(train, CHART_INTERVAL_MS);
  const chartTest = useThrottled(test, CHART_INTERVAL_MS);
  const shownTrain = useMemo(() => thinned(chartTrain), [chartTrain]);
  const [first] = charts;
  const key = first?.terms[0] ?? 'loss';
  const lastTrain = [...train].reverse().find((point) => smoothedKey(key) in point);
  const lastTest = heldOut[key];
  const summary =
    lastTrain || lastTest
      ? `At step ${lastTrain?.step ?? lastTest?.step}: training ${key} ${lastTrain ? format(lastTrain[smoothedKey(key)]) : 'n/a'} (smoothed)` +
        `${lastTest ? `, held-out ${key} ${format(lastTest.value)} at step ${lastTest.step}` : ''}.`
      : 'No losses yet: press Train.';
  const firstTerm = termLabel(terms, key);
  const [logAll, setLogAll] = useState(false);

  return (
    <figure className="card chart" aria-labelledby="chart-heading-0">
      {charts.map((chart, index) => (
        <div key={chart.id}>
          {index === 0 ? (
            <div className="chart-header">
              <h2 id="chart-heading-0">
                {chart.title} <span className="unit">({firstTerm.label}, {firstTerm.unit})</span>
              </h2>
              <label className="toggle">
                <input type="checkbox" checked={logAll} onChange={(event) => setLogAll(event.target.checked)} /> log scale
              </label>
            </div>
          ) : (
            <h3>{chart.title}</h3>
          )}
          <ModelChart chart={chart} logAll={logAll} primary={index === 0} train={shownTrain} test={chartTest} terms={terms} />
          {index === 0 && <figcaption data-testid="loss-summary">{summary}</figcaption>}
        </div>
      ))}
      {Object.keys(heldOut).length > 0 && <HeldOutTable heldOut={heldOut} terms={terms} />}
    </figure>
  );
}
