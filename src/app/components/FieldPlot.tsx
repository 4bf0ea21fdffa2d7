/**
 * A value over a plane (a discriminator's output, an energy) as a heatmap, with arrows (its
 * gradient, say) and points on top, and a colour bar saying what the colours mean.
 */
import { useMemo, useRef } from 'react';
import type { FieldPanel } from '../../core/views/panels';
import { drawAxes, makeFrame, type Frame } from './plane';
import { PlaneCanvas } from './PlaneCanvas';
import { PlaneLegend, seriesLegendItems, type LegendItem } from './PlaneLegend';
import { usePlotInSteps } from './plot-layer';
import { seriesSteps } from './series-steps';
import { describeSeries, PLANE_WIDTH } from './PointsPlot';

/**
 * Viridis (van der Walt & Smith, matplotlib), 16 stops: its lightness rises steadily, so
 * it reads the same to colour-blind readers and in greyscale.
 */
const VIRIDIS = [
  '#440154', '#481a6c', '#472f7d', '#414487', '#39568c', '#31688e', '#2a788e', '#23888e',
  '#1f988b', '#22a884', '#35b779', '#54c568', '#7ad151', '#a5db36', '#d2e21b', '#fde725',
];
const STOPS = VIRIDIS.map((hex) => [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16)));

/** The colour at t in [0, 1], interpolated linearly between the stops. */
export function viridis(t: number): [number, number, number] {
  const at = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const low = Math.min(Math.floor(at), STOPS.length - 2);
  const f = at - low;
  const [a, b] = [STOPS[low], STOPS[low + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** The colour scale's span: the panel's, else the finite values'; never empty. */
export function colourRange(values: Float32Array, range?: readonly [number, number]): [number, number] {
  if (range && Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[1] > range[0]) return [range[0], range[1]];
  let [low, high] = [Infinity, -Infinity];
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    [low, high] = [Math.min(low, value), Math.max(high, value)];
  }
  if (low > high) return [0, 1];
  // A flat field is one colour, from the middle of the scale.
  return high > low ? [low, high] : [low - 0.5, high + 0.5];
}

/** The grid at one pixel per value, missing values transparent. */
function fieldImage(panel: FieldPanel, [low, high]: [number, number]): HTMLCanvasElement {
  const { rows, columns, values } = panel;
  const image = new ImageData(columns, rows);
  for (let i = 0; i < rows * columns; i++) {
    if (!Number.isFinite(values[i])) continue;
    const [r, g, b] = viridis((values[i] - low) / (high - low));
    image.data.set([r, g, b, 255], 4 * i);
  }
  const canvas = document.createElement('canvas');
  [canvas.width, canvas.height] = [columns, rows];
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return canvas;
}

/** The heatmap, scaled up with smoothing so the field looks continuous rather than tiled. */
function drawField(context: CanvasRenderingContext2D, frame: Frame, panel: FieldPanel, range: [number, number]): void {
  if (panel.rows < 1 || panel.columns < 1 || panel.values.length < panel.rows * panel.columns) return;
  const [x0, x1, y0, y1] = panel.extent;
  // The values are samples at the extent's edges and between them: pixel centres map to the edges.
  const [sx, sw] = panel.columns > 1 ? [0.5, panel.columns - 1] : [0, 1];
  const [sy, sh] = panel.rows > 1 ? [0.5, panel.rows - 1] : [0, 1];
  context.save();
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  const [left, top] = [frame.x(x0), frame.y(y1)];
  context.drawImage(fieldImage(panel, range), sx, sy, sw, sh, left, top, frame.x(x1) - left, frame.y(y0) - top);
  context.restore();
}

/** Arrows from each point along its vector, the longest 8% of the plot's width; white on a dark outline. */
function drawArrows(context: CanvasRenderingContext2D, frame: Frame, arrows: NonNullable<FieldPanel['arrows']>): void {
  const { points, vectors } = arrows;
  const count = Math.floor(Math.min(points.length, vectors.length) / 2);
  let longest = 0;
  for (let i = 0; i < count; i++) {
    const length = Math.hypot(vectors[2 * i], vectors[2 * i + 1]);
    if (Number.isFinite(length)) longest = Math.max(longest, length);
  }
  if (longest === 0) return;
  const scale = (0.08 * frame.plotWidth) / longest;
  context.save();
  context.beginPath();
  context.rect(frame.left, frame.top, frame.plotWidth, frame.plotHeight);
  context.clip();
  context.beginPath();
  for (let i = 0; i < count; i++) {
    const [x, y] = [frame.x(points[2 * i]), frame.y(points[2 * i + 1])];
    // The canvas's y grows downwards.
    const [dx, dy] = [vectors[2 * i] * scale, -vectors[2 * i + 1] * scale];
    const length = Math.hypot(dx, dy);
    if (!(length > 0.5) || !Number.isFinite(x + y)) continue;
    const head = Math.min(4, length * 0.45);
    const [ux, uy] = [dx / length, dy / length];
    context.moveTo(x, y);
    context.lineTo(x + dx, y + dy);
    context.lineTo(x + dx - head * (ux + uy * 0.7), y + dy - head * (uy - ux * 0.7));
    context.moveTo(x + dx, y + dy);
    context.lineTo(x + dx - head * (ux - uy * 0.7), y + dy - head * (uy + ux * 0.7));
  }
  context.lineCap = context.lineJoin = 'round';
  context.strokeStyle = 'rgba(20, 33, 61, 0.9)';
  context.lineWidth = 3.2;
  context.stroke();
  context.strokeStyle = '#ffffff';
  context.lineWidth = 1.4;
  context.stroke();
  context.restore();
}

/** Three significant digits, a true minus sign. */
function formatValue(value: number): string {
  return Number(value.toPrecision(3)).toString().replace('-', '\u2212');
}

const GRADIENT = `linear-gradient(to right, ${VIRIDIS.map((hex, i) => `${hex} ${((100 * i) / (VIRIDIS.length - 1)).toFixed(1)}%`).join(', ')})`;

export function FieldPlot({ panel }: { panel: FieldPanel }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const frame = useMemo(() => makeFrame(panel.extent, PLANE_WIDTH), [panel]);
  const range = useMemo(() => colourRange(panel.values, panel.range), [panel]);

  usePlotInSteps(
    canvas,
    frame,
    (scratch) => {
      const { arrows, series } = panel;
      return [
        (context) => drawField(context, frame, panel, range),
        ...(arrows ? [(context: CanvasRenderingContext2D) => drawArrows(context, frame, arrows)] : []),
        ...(series ? seriesSteps(frame, series, true, scratch) : []),
        (context) => drawAxes(context, frame, panel.axisLabels),
      ];
    },
    [panel, frame, range],
  );

  const items: LegendItem[] = [
    ...seriesLegendItems(panel.series ?? []),
    ...(panel.arrows ? [{ label: panel.arrows.label, color: '#ffffff', swatch: 'arrow' as const }] : []),
  ];
  const extras = [
    panel.series?.length ? describeSeries(panel.series) : '',
    panel.arrows ? `arrows: ${panel.arrows.label}` : '',
  ].filter(Boolean);
  const label =
    `${panel.title}: a heatmap of ${panel.valueLabel} from ${formatValue(range[0])} (dark purple) to ${formatValue(range[1])} (yellow) ` +
    `over ${panel.axisLabels[0]} and ${panel.axisLabels[1]}${extras.length ? `; on top, ${extras.join(', ')}` : ''}. ${panel.caption}`;
  // The colour bar spans the plot area, not the axes' margins, so it lines up with the heatmap.
  const inset = { marginLeft: `${(100 * frame.left) / frame.width}%`, width: `${(100 * frame.plotWidth) / frame.width}%` };
  return (
    <div className="plane field" style={{ width: frame.width }}>
      <PlaneCanvas ref={canvas} frame={frame} label={label} testId={`field-${panel.id}`} />
      <div className="field-colorbar" style={inset} aria-hidden="true">
        <div className="field-gradient" style={{ background: GRADIENT }} />
        <div className="field-range">
          <span>{formatValue(range[0])}</span>
          <span className="field-value-label">{panel.valueLabel}</span>
          <span>{formatValue(range[1])}</span>
        </div>
      </div>
      {items.length > 0 && <PlaneLegend items={items} />}
    </div>
  );
}
