/**
 * A plot's series of points (dots, lines, segments) drawn in steps, each a drawing of the
 * paint queue (./plot-layer.ts), inside the plot area of a plane's frame (./plane.ts).
 */
import type { PointSeries } from '../../core/views/panels';
import { addMarker, clearedCanvas, ratioOf, seriesLooks, type Frame } from './plane';

/** A part of a drawing: one drawing of the paint queue (./plot-layer.ts), so one task at most. */
export type DrawStep = (context: CanvasRenderingContext2D) => void;

/**
 * Marks or segments stroked in one path. A canvas without a GPU strokes a path of many
 * overlapping parts in time that grows faster than their count: in Chromium on a 2-core
 * machine, 1,000 haloed dots' white rings took 23-42 ms as one path, 2-6 ms a quarter of
 * them (timed in a scratch page at pixel ratios 1 and 2), and a training worker on the other
 * core can double that. A fill stays cheap (2-5 ms for the same dots), so a fill is one path.
 */
const MARKS_PER_STROKE = 250;

/** A canvas to draw a series' strokes on before they are laid on the plot (never shown itself): the plot's own, kept (useLayerInSteps). */
export type ScratchCanvas = Pick<HTMLCanvasElement, 'width' | 'height' | 'getContext'>;

/**
 * The series inside the plot area as steps, the data first so the model's series lie on top.
 * `halo` rings every mark in white so it reads on a heatmap's colours too. A series' fill is
 * one path, one step; its strokes (the halos, a line, segments) are parts of MARKS_PER_STROKE
 * marks or segments, a step each. Parts are drawn opaque on a scratch canvas, which a last
 * step lays on the plot at the stroke's alpha: where parts overlap, the colour is laid once,
 * as one path's would be, not twice (a darker dot at every join of a coloured line between
 * parts, a lighter patch where halos of two parts overlap).
 */
export function seriesSteps(frame: Frame, series: readonly PointSeries[], halo: boolean, makeScratch: () => ScratchCanvas): DrawStep[] {
  const looks = seriesLooks(series);
  const order = series.map((_, index) => index).sort((a, b) => Number(series[b].role === 'data') - Number(series[a].role === 'data'));
  const steps: DrawStep[] = [];
  /** Draws a path inside the plot area: `trace` adds to it, `paint` strokes or fills it. */
  const inPlot = (context: CanvasRenderingContext2D, trace: (context: CanvasRenderingContext2D) => void, paint: (context: CanvasRenderingContext2D) => void) => {
    context.save();
    context.beginPath();
    context.rect(frame.left, frame.top, frame.plotWidth, frame.plotHeight);
    context.clip();
    context.lineJoin = context.lineCap = 'round';
    context.beginPath();
    trace(context);
    paint(context);
    context.restore();
  };
  let scratch: ScratchCanvas | undefined;
  /** The scratch canvas cleared, at the plot's size and scale (null: the browser gave no context). */
  const clearedScratch = (plot: CanvasRenderingContext2D) => clearedCanvas((scratch ??= makeScratch()), plot.canvas.width, plot.canvas.height, ratioOf(plot));
  /** Strokes `marks` marks or segments traced by `trace(from, to)`: straight on the plot in one part, else through the scratch canvas. */
  const strokeInParts = (marks: number, trace: (from: number, to: number) => (context: CanvasRenderingContext2D) => void, color: string, width: number, alpha: number) => {
    const parts = Array.from({ length: Math.ceil(marks / MARKS_PER_STROKE) }, (_, part) => [part * MARKS_PER_STROKE, Math.min(marks, (part + 1) * MARKS_PER_STROKE)] as const);
    // nothing to stroke: no step (each costs a task)
    if (parts.length === 0) return;
    if (parts.length === 1) {
      steps.push((context) => inPlot(context, trace(0, marks), (target) => stroke(target, color, width, alpha)));
      return;
    }
    let layer: CanvasRenderingContext2D | null = null;
    parts.forEach(([from, to], part) =>
      steps.push((context) => {
        if (part === 0) layer = clearedScratch(context);
        // without a scratch context, straight on the plot (overlaps painted twice)
        inPlot(layer ?? context, trace(from, to), (target) => stroke(target, color, width, layer ? 1 : alpha));
      }),
    );
    steps.push((context) => {
      if (!layer) return;
      context.save();
      context.setTransform(1, 0, 0, 1, 0, 0);
      context.globalAlpha = alpha;
      context.drawImage(layer.canvas, 0, 0);
      context.restore();
    });
  };
  for (const index of order) {
    const { points, style = 'dots', role } = series[index];
    const { color, marker } = looks[index];
    const at = (i: number) => [frame.x(points[2 * i]), frame.y(points[2 * i + 1])] as const;
    const finite = (i: number) => Number.isFinite(points[2 * i]) && Number.isFinite(points[2 * i + 1]);
    const count = Math.floor(points.length / 2);
    if (style === 'dots') {
      const size = role === 'data' ? 2.2 : 2.6;
      const dots = (from: number, to: number) => (context: CanvasRenderingContext2D) => {
        for (let i = from; i < to; i++) if (finite(i)) addMarker(context, marker, ...at(i), size);
      };
      if (halo) strokeInParts(count, dots, '#ffffff', 2, 0.85);
      // Slightly see-through on white, so one series does not hide another; solid on a heatmap.
      steps.push((context) =>
        inPlot(context, dots(0, count), (target) => {
          target.globalAlpha = halo ? 0.95 : 0.72;
          target.fillStyle = color;
          target.fill();
          target.globalAlpha = 1;
        }),
      );
      continue;
    }
    const joined = style === 'line';
    // A line's parts share their end points, so it stays unbroken; a line breaks at a missing point rather than jumping across it.
    const trace = joined
      ? (from: number, to: number) => (context: CanvasRenderingContext2D) => {
          for (let i = from; i <= to; i++) {
            if (!finite(i)) continue;
            if (i === from || !finite(i - 1)) context.moveTo(...at(i));
            else context.lineTo(...at(i));
          }
        }
      : (from: number, to: number) => (context: CanvasRenderingContext2D) => {
          for (let i = 2 * from; i + 1 < 2 * to; i += 2) {
            if (!finite(i) || !finite(i + 1)) continue;
            context.moveTo(...at(i));
            context.lineTo(...at(i + 1));
          }
        };
    // a line's segments join neighbours; segments are pairs of points
    const marks = joined ? Math.max(0, count - 1) : Math.floor(count / 2);
    const width = joined ? 2 : 1.2;
    if (halo) strokeInParts(marks, trace, '#ffffff', width + 2, 0.85);
    strokeInParts(marks, trace, color, width, joined ? 0.95 : 0.75);
  }
  return steps;
}

function stroke(context: CanvasRenderingContext2D, color: string, width: number, alpha: number): void {
  context.globalAlpha = alpha;
  context.strokeStyle = color;
  context.lineWidth = width;
  context.stroke();
  context.globalAlpha = 1;
}
