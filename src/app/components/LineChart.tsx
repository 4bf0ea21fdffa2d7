/**
 * A line chart in plain SVG: round ticks and grid, a title per axis, a key above, and the
 * values under the pointer. It draws a handful of elements (one path per series), so a
 * live redraw costs well under a millisecond of layout, where a chart library's took tens.
 */
import { useLayoutEffect, useRef, useState, type PointerEvent } from 'react';
import { AXIS_INK } from '../palette';
import { formatTick } from './ticks';
import { labelStride, linePath, nearestIndex, scale, titleLines, type ValueAxis } from './chart-geometry';

export interface LineSeries {
  /** Unique within the chart. */
  id: string;
  /** In the key and the pointer's readout. */
  name: string;
  points: readonly ({ step: number } & Record<string, number>)[];
  key: string;
  color: string;
  width: number;
  dash?: string;
  /** A dot on every point (few points: held-out figures). */
  dots?: boolean;
  /** 0-1: a pale line under the others (each step's raw values). */
  opacity?: number;
}

export interface LineChartProps {
  series: readonly LineSeries[];
  /** The step axis: from 0 to `xEnd`, ticks every `xStep`. */
  xEnd: number;
  xStep: number;
  xTitle: string;
  yAxis: ValueAxis;
  yTitle: string;
  /** How a value reads in the pointer's readout. */
  reading(value: number): string;
}

const MARGIN = { top: 8, right: 16, bottom: 36 };
/** Width of a tick label's character (12px sans), and the room for the rotated axis title (two lines of it at most). */
const [CHARACTER, AXIS_TITLE] = [7, 26];
/** Width of an axis title's character (0.8rem sans, layout.css), and the distance between its two lines. */
const [TITLE_CHARACTER, TITLE_LINE] = [7, 13];

/** The element's size, following it as the layout changes; zero until measured. */
function useSize<T extends HTMLElement>(): [React.RefObject<T | null>, { width: number; height: number }] {
  const ref = useRef<T>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => {
      const { width, height } = element.getBoundingClientRect();
      setSize((old) => (Math.abs(old.width - width) < 0.5 && Math.abs(old.height - height) < 0.5 ? old : { width, height }));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, size];
}

function Key({ series }: { series: readonly LineSeries[] }) {
  return (
    <ul className="legend chart-legend" aria-hidden="true">
      {series.map((entry) => (
        <li key={entry.id}>
          <svg className="plane-swatch" viewBox="0 0 18 10" width="18" height="10">
            <line x1="1" y1="5" x2="17" y2="5" stroke={entry.color} strokeOpacity={entry.opacity} strokeWidth={Math.min(entry.width, 3)} strokeDasharray={entry.dash} />
            {entry.dots && <circle cx="9" cy="5" r="2.5" fill="#fff" stroke={entry.color} strokeWidth="1.5" />}
          </svg>
          {entry.name}
        </li>
      ))}
    </ul>
  );
}

export function LineChart({ series, xEnd, xStep, xTitle, yAxis, yTitle, reading }: LineChartProps) {
  const [box, { width, height }] = useSize<HTMLDivElement>();
  const [hoverStep, setHoverStep] = useState<number | undefined>(undefined);
  const left = AXIS_TITLE + CHARACTER * Math.max(1, ...yAxis.labels.map((label) => label.length)) + 6;
  const plot = { left, top: MARGIN.top, right: Math.max(left + 1, width - MARGIN.right), bottom: Math.max(MARGIN.top + 1, height - MARGIN.bottom) };
  const x = scale(0, xEnd, plot.left, plot.right);
  const y = scale(yAxis.low, yAxis.high, plot.bottom, plot.top, yAxis.log);
  // 12 px labels, at least 16 px apart
  const yLabelStride = labelStride(yAxis.ticks.map(y), 16);
  // centred on the plot, which sits high in the chart (the step axis below it): room for twice the distance to the top
  const yTitleLines = titleLines(yTitle, plot.top + plot.bottom - 4, TITLE_CHARACTER);
  const xTicks: number[] = [];
  for (let k = 0; k * xStep <= xEnd * (1 + 1e-9) && xTicks.length < 50; k++) xTicks.push(k * xStep);

  const onPointer = (event: PointerEvent<SVGSVGElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const step = ((event.clientX - rect.left - plot.left) / (plot.right - plot.left)) * xEnd;
    setHoverStep(step >= 0 && step <= xEnd ? step : undefined);
  };
  // the readout: each series' point nearest the pointer's step
  const readout =
    hoverStep === undefined
      ? []
      : series.flatMap((entry) => {
          const points = entry.points.filter((point) => Number.isFinite(point[entry.key]));
          const index = nearestIndex(points, hoverStep);
          return index < 0 ? [] : [{ entry, point: points[index] }];
        });
  const readoutStep = readout.length ? readout.reduce((best, { point }) => (Math.abs(point.step - hoverStep!) < Math.abs(best - hoverStep!) ? point.step : best), readout[0].point.step) : undefined;

  return (
    <div className="line-chart">
      <Key series={series} />
      <div className="line-chart-plot" ref={box}>
        {width > 0 && height > 0 && (
          <svg width={width} height={height} aria-hidden="true" onPointerMove={onPointer} onPointerLeave={() => setHoverStep(undefined)}>
            <g stroke="#d5dbe3" strokeDasharray="3 3">
              {xTicks.map((tick) => (
                <line key={`x${tick}`} x1={x(tick)} x2={x(tick)} y1={plot.top} y2={plot.bottom} />
              ))}
              {yAxis.ticks.map((tick) => (
                <line key={`y${tick}`} x1={plot.left} x2={plot.right} y1={y(tick)} y2={y(tick)} />
              ))}
            </g>
            <g fill={AXIS_INK} fontSize="12">
              {xTicks.map((tick) => (
                <text key={`x${tick}`} x={x(tick)} y={plot.bottom + 15} textAnchor="middle">
                  {formatTick(tick, xStep)}
                </text>
              ))}
              {yAxis.ticks.map((tick, index) =>
                index % yLabelStride === 0 ? (
                  <text key={`y${tick}`} x={plot.left - 5} y={y(tick) + 4} textAnchor="end">
                    {yAxis.labels[index]}
                  </text>
                ) : null,
              )}
              <text className="axis-title" x={(plot.left + plot.right) / 2} y={height - 4} textAnchor="middle">
                {xTitle}
              </text>
              <text className="axis-title" transform={`translate(${yTitleLines.length > 1 ? 10 : 12} ${(plot.top + plot.bottom) / 2}) rotate(-90)`} textAnchor="middle">
                {yTitleLines.map((line, index) => (
                  <tspan key={index} x="0" dy={index === 0 ? 0 : TITLE_LINE}>
                    {line}
                  </tspan>
                ))}
              </text>
            </g>
            <path d={`M${plot.left},${plot.top}V${plot.bottom}H${plot.right}`} fill="none" stroke={AXIS_INK} />
            {series.map((entry) => (
              <g key={entry.id}>
                <path d={linePath(entry.points, entry.key, x, y, yAxis.log)} fill="none" stroke={entry.color} strokeOpacity={entry.opacity} strokeWidth={entry.width} strokeDasharray={entry.dash} strokeLinejoin="round" />
                {entry.dots &&
                  entry.points.map((point) =>
                    Number.isFinite(point[entry.key]) && (!yAxis.log || point[entry.key] > 0) ? (
                      <circle key={point.step} cx={x(point.step)} cy={y(point[entry.key])} r="3" fill="#fff" stroke={entry.color} strokeWidth="1.5" />
                    ) : null,
                  )}
              </g>
            ))}
            {readoutStep !== undefined && <line x1={x(readoutStep)} x2={x(readoutStep)} y1={plot.top} y2={plot.bottom} stroke={AXIS_INK} strokeOpacity="0.5" />}
          </svg>
        )}
        {readoutStep !== undefined && (
          // in the plot's corner away from the pointer, so it never hides the values read
          <div className="chart-readout" style={x(readoutStep) > (plot.left + plot.right) / 2 ? { left: plot.left + 6 } : { right: MARGIN.right + 6 }}>
            <div>step {readoutStep.toLocaleString('en-US')}</div>
            {readout.map(({ entry, point }) => (
              <div key={entry.id} style={{ color: entry.color }}>
                {entry.name}: {reading(point[entry.key])}
                {point.step !== readoutStep && ` (step ${point.step.toLocaleString('en-US')})`}
              </div>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
