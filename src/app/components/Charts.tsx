/**
 * The model's charts, as its spec lists them. The first is the lead chart beside the main
 * view: the raw training values, their moving average, the held-out points, and the
 * curves of runs a setting change replaced (faded, labelled). The others, and a table of
 * the latest held-out figures (plain words first, the formal name beside), follow in a
 * details card. Axes have titles with units and round ticks, every chart starts at step 0,
 * and no axis is pinned at 0 when a value goes below it. Each chart is one Tab stop with a
 * text summary.
 */
import { memo, useMemo, useState } from 'react';
import { findModel } from '../../core/models';
import { findDataset } from '../../core/datasets/catalog';
import { qualityCharts, termsOf } from '../../core/metrics/quality-terms';
import { chartsFor, type ChartSpec, type TermInfo } from '../../core/models/model';
import { evaluateNow } from '../controller';
import { SERIES_COLORS } from '../palette';
import { smoothedKey, thinned, type ChartPoint } from '../series';
import { useStore, type HeldOutFigure, type PreviousRun } from '../store';
import { useThrottledStore } from '../use-throttled';
import { BestSoFar } from './BestSoFar';
import { ClassifierNote } from './ClassifierNote';
import { valueAxis } from './chart-geometry';
import { LineChart, type LineSeries } from './LineChart';
import { niceStep } from './ticks';

// Number.toLocaleString builds a formatter at every call (a large share of a chart's redraw): build each once.
const WHOLE = new Intl.NumberFormat('en-US');
const THREE_DIGITS = new Intl.NumberFormat('en-US', { minimumSignificantDigits: 3, maximumSignificantDigits: 3 });
/** Three significant digits, no trailing zeros: 200, 0.005, 1.25. */
export const format = (value: number) => (!Number.isFinite(value) ? String(value) : WHOLE.format(Number(value.toPrecision(3))));
/** A reading to three significant digits that keeps its zeros (38.0 next to 38.8, not 38), whole above 1,000. */
export const reading = (value: number) =>
  !Number.isFinite(value) ? String(value) : Math.abs(value) >= 1000 ? WHOLE.format(Math.round(value)) : THREE_DIGITS.format(value);
/** Charts redraw at most this often (Recharts takes tens of ms a redraw); the text below them follows every update. */
const CHART_INTERVAL_MS = 500;

function termLabel(terms: readonly TermInfo[], key: string): TermInfo {
  return terms.find((term) => term.key === key) ?? { key, plain: key.replace(/_/g, ' '), label: key.replace(/_/g, ' '), unit: '' };
}

/** The smallest value of some keys over some points. */
function lowest(points: readonly ChartPoint[], keys: readonly string[]): number {
  let low = Infinity;
  for (const point of points) for (const key of keys) if (Number.isFinite(point[key])) low = Math.min(low, point[key]);
  return low;
}

interface ChartProps {
  chart: ChartSpec;
  /** The person asked for log axes on every chart. */
  logAll: boolean;
  lead: boolean;
  train: readonly ChartPoint[];
  test: readonly ChartPoint[];
  previous: readonly PreviousRun[];
  terms: readonly TermInfo[];
  summary: string;
  /** For a chart of held-out figures alone (given no training points): where the training has got to, rounded up, so its step axis matches the others. */
  axisEnd?: number;
}

/** The step axis every chart shares: round ticks, ending on the round step at or after the last one. */
function stepAxis(lastStep: number): { stepTick: number; xEnd: number } {
  const stepTick = niceStep(lastStep, 5);
  return { stepTick, xEnd: Math.ceil(lastStep / stepTick) * stepTick };
}

const ModelChart = memo(function ModelChart({ chart, logAll, lead, train, test, previous, terms, summary, axisEnd = 0 }: ChartProps) {
  const trained = chart.terms.filter((key) => train.some((point) => key in point));
  const heldOut = chart.terms.filter((key) => test.some((point) => key in point));
  const drawn = [...trained.map(smoothedKey), ...(lead ? trained : []), ...heldOut];
  const low = Math.min(lowest(train, drawn), lowest(test, heldOut));
  // A log axis needs positive values: with a zero or a negative one, the chart falls back to linear.
  const logScale = (logAll || chart.scale === 'log') && low > 0;
  const many = chart.terms.length > 1;
  const first = termLabel(terms, chart.terms[0]);
  const yTitle = first.unit;
  const compared = lead ? previous.filter((run) => run.train.some((point) => smoothedKey(chart.terms[0]) in point)) : [];
  // Every chart starts at step 0 and ends on a round step, with round ticks between.
  const lastStep = Math.max(10, axisEnd, ...[train, test, ...compared.map((run) => run.train)].map((series) => series.at(-1)?.step ?? 0));
  const { stepTick, xEnd } = stepAxis(lastStep);
  const series: LineSeries[] = [
    ...compared.map((run, index) => ({
      id: `compared-${index}`,
      name: run.label,
      points: run.train,
      key: smoothedKey(chart.terms[0]),
      color: index === 0 ? '#7b8794' : '#b8c2cc',
      width: 2,
      dash: '6 4',
    })),
    ...chart.terms.flatMap((key, index) => {
      const color = SERIES_COLORS[index % SERIES_COLORS.length];
      const label = many ? termLabel(terms, key).plain : 'training';
      const lines: LineSeries[] = [];
      // with several terms, each raw line is a pale copy of its term's colour, so the two players' raw losses stay apart
      if (lead && trained.includes(key)) lines.push({ id: `${key}-raw`, name: `${label}, each step`, points: train, key, color: many ? color : '#8aa0b6', width: 1.5, ...(many ? { opacity: 0.4 } : {}) });
      if (trained.includes(key)) lines.push({ id: `${key}-smooth`, name: many ? label : 'training (smoothed)', points: train, key: smoothedKey(key), color, width: 3 });
      if (heldOut.includes(key)) {
        lines.push({ id: `${key}-test`, name: many ? `${label}, held out` : 'held-out examples', points: test, key, color: many ? color : '#c0392b', width: 2.5, dots: true, ...(many ? { dash: '5 3' } : {}) });
      }
      return lines;
    }),
  ];
  const values = function* () {
    for (const line of series) for (const point of line.points) if (line.key in point) yield point[line.key];
  };
  const yAxis = valueAxis(values(), { log: logScale, fromZero: !logScale });
  return (
    <>
      {(logAll || chart.scale === 'log') && Number.isFinite(low) && (
        <p className="help">{logScale ? 'Log scale: equal steps up the axis multiply the value.' : 'Drawn on a linear scale: a value at or below 0 has no logarithm.'}</p>
      )}
      <div
        className={lead ? 'chart-area' : many ? 'chart-area small many' : 'chart-area small'}
        data-testid={`${chart.id}-chart`}
        data-points={train.length}
        data-scale={logScale ? 'log' : 'linear'}
        data-compared={compared.length}
        tabIndex={0}
        role="img"
        aria-label={summary}
      >
        <LineChart series={series} xEnd={xEnd} xStep={stepTick} xTitle="training step" yAxis={yAxis} yTitle={yTitle} reading={reading} />
      </div>
    </>
  );
});

function HeldOutTable({ heldOut, terms }: { heldOut: Record<string, HeldOutFigure>; terms: readonly TermInfo[] }) {
  const keys = Object.keys(heldOut);
  const groups = [...new Set(keys.map((key) => heldOut[key].evaluation))];
  const row = (key: string) => {
    const term = termLabel(terms, key);
    return (
      <tr key={key}>
        <th scope="row">
          {term.plain}
          <span className="formal">{term.label}</span>
        </th>
        <td>{term.count ? heldOut[key].value.toLocaleString('en-US') : reading(heldOut[key].value)}</td>
        <td className="unit">{term.unit}</td>
      </tr>
    );
  };
  return (
    <>
      <table className="metrics" data-testid="held-out-metrics">
        <caption>Held-out figures: on examples the model never trains on</caption>
        {groups.map((evaluation, index) => {
          const rows = keys.filter((key) => heldOut[key].evaluation === evaluation);
          // a group of advanced figures alone (a slower, tighter estimate) shows them: a heading over nothing says nothing
          const basic = rows.filter((key) => !termLabel(terms, key).advanced);
          const plain = basic.length > 0 ? basic : rows;
          const more = basic.length > 0 ? rows.filter((key) => termLabel(terms, key).advanced) : [];
          const { basis, step, fromStep } = heldOut[rows[0]];
          // costly figures wait longer between updates: say so when they lag behind the first group's
          const older = index > 0 && step < heldOut[keys[0]].step;
          return (
            <tbody key={evaluation} data-evaluation={evaluation} className={older ? 'older' : undefined}>
              <tr className="metrics-group">
                <th colSpan={2} scope="colgroup">
                  On {basis}, {fromStep === undefined ? `at step ${step.toLocaleString('en-US')}` : `over steps ${fromStep.toLocaleString('en-US')}-${step.toLocaleString('en-US')}`}
                  {older && <span className="formal">slower to compute, so updated less often: Update brings it to this step</span>}
                </th>
                <td>
                  <button type="button" className="small-button" onClick={() => evaluateNow(evaluation)} aria-label={`Compute the figures on ${basis} now`}>
                    Update
                  </button>
                </td>
              </tr>
              {plain.map(row)}
              {more.length > 0 && (
                <tr>
                  <td colSpan={3}>
                    <details className="more-figures">
                      <summary>More figures</summary>
                      <table className="metrics">
                        <tbody>{more.map(row)}</tbody>
                      </table>
                    </details>
                  </td>
                </tr>
              )}
            </tbody>
          );
        })}
      </table>
      {keys.some((key) => termLabel(terms, key).help) && (
        <details className="metrics-help" data-testid="metrics-help">
          <summary>What these numbers mean</summary>
          <dl>
            {keys
              .map((key) => termLabel(terms, key))
              .filter((term) => term.help)
              .map((term) => (
                <div key={term.key}>
                  <dt>
                    {term.plain}: {term.label} ({term.unit})
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

const subscribe = (listener: () => void) => useStore.subscribe(listener);
const readTrain = () => useStore.getState().train;
const readTest = () => useStore.getState().test;

/** The series every chart draws, throttled and thinned so redraws stay cheap: a component using it renders at most every CHART_INTERVAL_MS for them. */
function useChartData() {
  const chartTrain = useThrottledStore(subscribe, readTrain, CHART_INTERVAL_MS);
  const chartTest = useThrottledStore(subscribe, readTest, CHART_INTERVAL_MS);
  return { shownTrain: useMemo(() => thinned(chartTrain), [chartTrain]), shownTest: chartTest };
}

/** The latest readings in words: the visible caption, and (after the chart's title) its accessible name. */
function latestReadings(chart: ChartSpec, terms: readonly TermInfo[], train: readonly ChartPoint[], heldOut: Record<string, HeldOutFigure>): string {
  const key = chart.terms[0];
  const term = termLabel(terms, key);
  let last: ChartPoint | undefined;
  for (let index = train.length - 1; index >= 0 && !last; index--) if (smoothedKey(key) in train[index]) last = train[index];
  const test = heldOut[key];
  if (!last && !test) return 'Nothing yet. Press Train.';
  return (
    'Latest: ' +
    (last ? `training ${reading(last[smoothedKey(key)])} at step ${last.step.toLocaleString('en-US')} (smoothed)` : 'no training yet') +
    (test ? `; held-out ${reading(test.value)} at step ${test.step.toLocaleString('en-US')}` : '') +
    ` (${term.unit}: ${term.plain}).`
  );
}

const summarize = (chart: ChartSpec, readings: string) => `${chart.title}. ${readings}`;

/** The lead chart, beside the main view. */
export function LeadChart() {
  const { shownTrain, shownTest } = useChartData();
  // the caption follows every update: the latest reading is cheap to find
  const train = useStore((state) => state.train);
  const heldOut = useStore((state) => state.heldOut);
  const previous = useStore((state) => state.previousRuns);
  const config = useStore((state) => state.config);
  const model = findModel(config.model);
  const data = findDataset(config.dataset);
  const [logAll, setLogAll] = useState(false);
  if (!model || !data) return null;
  const [chart] = chartsFor(model, data.kind);
  const readings = latestReadings(chart, termsOf(model), train, heldOut);
  // The chart's accessible summary follows the throttled data it draws: a text that changed with every message would redraw the chart with every message.
  const summary = summarize(chart, latestReadings(chart, termsOf(model), shownTrain, heldOut));
  return (
    <figure className="card chart lead-chart" aria-labelledby="chart-heading-0">
      <div className="chart-header">
        <h2 id="chart-heading-0">{chart.title}</h2>
        <label className="toggle">
          <input type="checkbox" checked={logAll} onChange={(event) => setLogAll(event.target.checked)} /> log scale
        </label>
      </div>
      <ModelChart chart={chart} logAll={logAll} lead train={shownTrain} test={shownTest} previous={previous} terms={termsOf(model)} summary={summary} />
      <figcaption data-testid="loss-summary">{readings}</figcaption>
    </figure>
  );
}

const NO_POINTS: readonly ChartPoint[] = [];
const NO_RUNS: readonly PreviousRun[] = [];

/** The other charts and the held-out figures. */
export function ChartDetails() {
  const { shownTrain, shownTest } = useChartData();
  const heldOut = useStore((state) => state.heldOut);
  const config = useStore((state) => state.config);
  const model = findModel(config.model);
  const data = findDataset(config.dataset);
  if (!model || !data) return null;
  const terms = termsOf(model);
  // Held-out figures alone (sample quality) need no training points, only the axis's end: they redraw when a figure arrives or the axis grows, not with every step.
  const heldOutOnly = qualityCharts(model, data.kind);
  const lastStep = shownTrain.at(-1)?.step ?? 0;
  const axisEnd = stepAxis(Math.max(10, lastStep)).xEnd;
  // the sample-quality chart once there is a figure to draw
  const others = [...chartsFor(model, data.kind).slice(1), ...qualityCharts(model, data.kind).filter((chart) => chart.terms.some((key) => key in heldOut))];
  if (others.length === 0 && Object.keys(heldOut).length === 0) return null;
  return (
    <figure className="card chart" aria-label="More charts and held-out figures">
      {others.map((chart) => {
        const summary = summarize(chart, latestReadings(chart, terms, shownTrain, heldOut));
        return (
          <div key={chart.id}>
            <h2>{chart.title}</h2>
            {heldOutOnly.includes(chart) ? (
              <ModelChart chart={chart} logAll={false} lead={false} train={NO_POINTS} test={shownTest} previous={NO_RUNS} terms={terms} summary={summary} axisEnd={axisEnd} />
            ) : (
              <ModelChart chart={chart} logAll={false} lead={false} train={shownTrain} test={shownTest} previous={NO_RUNS} terms={terms} summary={summary} />
            )}
          </div>
        );
      })}
      {Object.keys(heldOut).length > 0 && <HeldOutTable heldOut={heldOut} terms={terms} />}
      <BestSoFar model={model} />
      {data.kind === 'image' && 'frechet_classifier_distance' in heldOut && <ClassifierNote datasetId={data.id} />}
    </figure>
  );
}
