/**
 * Labelled sets of points in one plane (the data, the model's samples, a decoded curve) on
 * a canvas: thousands of points would be thousands of SVG nodes.
 */
import { useMemo, useRef } from 'react';
import type { PointSeries, PointsPanel } from '../../core/views/panels';
import { drawAxes, drawGrid, fitExtent, makeFrame } from './plane';
import { PlaneCanvas } from './PlaneCanvas';
import { PlaneLegend, seriesLegendItems } from './PlaneLegend';
import { usePlotInSteps } from './plot-layer';
import { seriesSteps } from './series-steps';

/** CSS pixels; the canvas shrinks with its card on narrow screens. */
export const PLANE_WIDTH = 360;

/** "samples (2,000 points)": what a screen reader hears for each series. */
export function describeSeries(series: readonly PointSeries[]): string {
  return series
    .map((entry) => {
      const count = Math.floor(entry.points.length / 2);
      const what = entry.style === 'line' ? 'a line through' : entry.style === 'segments' ? 'segments joining' : '';
      return `${entry.label} (${what ? `${what} ` : ''}${count.toLocaleString('en-US')} points)`;
    })
    .join(', ');
}

export function PointsPlot({ panel }: { panel: PointsPanel }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const frame = useMemo(
    () => makeFrame(panel.extent ?? fitExtent(panel.series.map((entry) => entry.points)), PLANE_WIDTH),
    [panel],
  );

  usePlotInSteps(
    canvas,
    frame,
    (scratch) => [
      (context) => drawGrid(context, frame),
      ...seriesSteps(frame, panel.series, false, scratch),
      (context) => drawAxes(context, frame, panel.axisLabels),
    ],
    [panel, frame],
  );

  const label =
    `${panel.title}: ${describeSeries(panel.series)}; ${panel.axisLabels[0]} across, ${panel.axisLabels[1]} up. ` + panel.caption;
  return (
    <div className="plane">
      <PlaneCanvas ref={canvas} frame={frame} label={label} testId={`points-${panel.id}`} />
      <PlaneLegend items={seriesLegendItems(panel.series)} />
    </div>
  );
}
