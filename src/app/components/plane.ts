/**
 * Canvas drawing for a 2-D plane, shared by PointsPlot and FieldPlot: a frame that maps the
 * plane to pixels at 1:1 (a circle stays round), round ticks, axes, markers and the series'
 * looks (./series-steps.ts draws the series).
 */
import type { Extent, PointSeries } from '../../core/views/panels';
import { AXIS_INK, DATA_GREY, SERIES_COLORS, type Marker } from '../palette';
import { formatTick, niceStep, ticks } from './ticks';

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Markers made of lines: stroked, not filled (a filled plus would be a blot). */
export const STROKED_MARKERS: ReadonlySet<Marker> = new Set<Marker>(['plus', 'cross', 'ring']);
const MARKERS: readonly Marker[] = ['circle', 'square', 'triangle'];

export interface SeriesLook {
  color: string;
  marker: Marker;
}

/** The data in grey; every other series the next colour and marker, in order. */
export function seriesLooks(series: readonly PointSeries[]): SeriesLook[] {
  let next = 0;
  return series.map((entry) => {
    if (entry.role === 'data') return { color: DATA_GREY, marker: 'circle' };
    const look: SeriesLook = { color: SERIES_COLORS[next % SERIES_COLORS.length], marker: MARKERS[next % MARKERS.length] };
    next += 1;
    return look;
  });
}

export interface Frame {
  /** The whole canvas, in CSS pixels. */
  width: number;
  height: number;
  /** The plot area inside the axes. */
  left: number;
  top: number;
  plotWidth: number;
  plotHeight: number;
  /** The part of the plane the plot area shows: [xMin, xMax, yMin, yMax]. */
  view: Extent;
  x: (value: number) => number;
  y: (value: number) => number;
}

/** Room for tick labels and axis labels around the plot area. */
const PAD = { left: 50, right: 18, top: 10, bottom: 42 };
/** A plot flatter or taller than this wastes the page; beyond it the view widens instead. */
const ASPECT = [0.6, 1.25] as const;

/** A frame `width` CSS pixels wide showing at least `extent`, one unit as long across as up. */
export function makeFrame(extent: Extent, width: number): Frame {
  let [x0, x1, y0, y1] = extent;
  const plotWidth = width - PAD.left - PAD.right;
  const aspect = Math.min(ASPECT[1], Math.max(ASPECT[0], (y1 - y0) / (x1 - x0)));
  // Widen the short side about its centre until the plane's shape matches the plot's.
  const xSpan = Math.max(x1 - x0, (y1 - y0) / aspect);
  const ySpan = xSpan * aspect;
  [x0, x1] = [(x0 + x1) / 2 - xSpan / 2, (x0 + x1) / 2 + xSpan / 2];
  [y0, y1] = [(y0 + y1) / 2 - ySpan / 2, (y0 + y1) / 2 + ySpan / 2];
  const plotHeight = plotWidth * aspect;
  const scale = plotWidth / xSpan;
  return {
    width,
    height: PAD.top + plotHeight + PAD.bottom,
    left: PAD.left,
    top: PAD.top,
    plotWidth,
    plotHeight,
    view: [x0, x1, y0, y1],
    x: (value) => PAD.left + (value - x0) * scale,
    y: (value) => PAD.top + (y1 - value) * scale,
  };
}

/** The finite points' bounding box, a `margin` of its larger side wider all round; never empty. */
export function fitExtent(arrays: readonly Float32Array[], margin = 0.06): Extent {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const points of arrays) {
    for (let i = 0; i + 1 < points.length; i += 2) {
      const [x, y] = [points[i], points[i + 1]];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
    }
  }
  if (x0 > x1) return [-1, 1, -1, 1];
  // A single point or a line still gets a square to sit in.
  const span = Math.max(x1 - x0, y1 - y0) || Math.max(Math.abs(x0), Math.abs(y0), 1);
  const pad = span * margin + (x0 === x1 && y0 === y1 ? span / 2 : 0);
  return [x0 - pad, x1 + pad, y0 - pad, y1 + pad];
}

/**
 * `canvas` at `width` x `height` device pixels, cleared, and its context scaled by `ratio`
 * (null where the browser gives no context). Resizing clears a canvas and, for one on the
 * page, lays the page out again: only when the size changes.
 */
export function clearedCanvas(canvas: Pick<HTMLCanvasElement, 'width' | 'height' | 'getContext'>, width: number, height: number, ratio: number): CanvasRenderingContext2D | null {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) return null;
  context.setTransform(1, 0, 0, 1, 0, 0);
  context.clearRect(0, 0, width, height);
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return context;
}

/** Sizes the canvas's backing store for the screen's pixel density; returns a context in CSS pixels. */
export function prepareCanvas(canvas: HTMLCanvasElement, frame: Frame): CanvasRenderingContext2D | null {
  const ratio = window.devicePixelRatio || 1;
  return clearedCanvas(canvas, Math.round(frame.width * ratio), Math.round(frame.height * ratio), ratio);
}

/** The device pixels per CSS pixel that prepareCanvas scaled a context by. */
export const ratioOf = (context: CanvasRenderingContext2D) => context.getTransform().a;

/**
 * Copies a layer drawn by prepareCanvas's context onto `target` pixel for pixel (the target
 * takes the layer's size, which the pixel ratio may have changed since), and returns the
 * target's context scaled as the layer's was, for drawing over it.
 */
export function copyLayer(target: HTMLCanvasElement, layer: CanvasRenderingContext2D): CanvasRenderingContext2D | null {
  const context = clearedCanvas(target, layer.canvas.width, layer.canvas.height, 1);
  if (!context) return null;
  context.drawImage(layer.canvas, 0, 0);
  const ratio = ratioOf(layer);
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return context;
}

/** One tick step for both axes, so the grid is made of squares like the plane. */
function frameTicks(frame: Frame) {
  const [x0, x1, y0, y1] = frame.view;
  const step = niceStep(Math.max(x1 - x0, y1 - y0), 5);
  return { step, xs: ticks(x0, x1, step), ys: ticks(y0, y1, step) };
}

/** Faint grid lines at the ticks, to be drawn under the points. */
export function drawGrid(context: CanvasRenderingContext2D, frame: Frame): void {
  const { xs, ys } = frameTicks(frame);
  context.save();
  context.strokeStyle = '#e8ecf1';
  context.lineWidth = 1;
  context.beginPath();
  for (const x of xs) {
    const px = Math.round(frame.x(x)) + 0.5;
    context.moveTo(px, frame.top);
    context.lineTo(px, frame.top + frame.plotHeight);
  }
  for (const y of ys) {
    const py = Math.round(frame.y(y)) + 0.5;
    context.moveTo(frame.left, py);
    context.lineTo(frame.left + frame.plotWidth, py);
  }
  context.stroke();
  context.restore();
}

/** The plot's border, ticks with their labels, and the axis labels. */
export function drawAxes(context: CanvasRenderingContext2D, frame: Frame, axisLabels: readonly [string, string]): void {
  const { step, xs, ys } = frameTicks(frame);
  const bottom = frame.top + frame.plotHeight;
  context.save();
  context.strokeStyle = '#9aa5b1';
  context.lineWidth = 1;
  context.strokeRect(frame.left - 0.5, frame.top - 0.5, frame.plotWidth + 1, frame.plotHeight + 1);
  context.beginPath();
  for (const x of xs) {
    const px = Math.round(frame.x(x)) + 0.5;
    context.moveTo(px, bottom);
    context.lineTo(px, bottom + 4);
  }
  for (const y of ys) {
    const py = Math.round(frame.y(y)) + 0.5;
    context.moveTo(frame.left, py);
    context.lineTo(frame.left - 4, py);
  }
  context.stroke();
  context.fillStyle = AXIS_INK;
  context.font = FONT;
  context.textAlign = 'center';
  context.textBaseline = 'top';
  for (const x of xs) context.fillText(formatTick(x, step), frame.x(x), bottom + 6);
  context.textAlign = 'right';
  context.textBaseline = 'middle';
  for (const y of ys) context.fillText(formatTick(y, step), frame.left - 7, frame.y(y));
  context.font = `600 ${FONT}`;
  context.textAlign = 'center';
  context.textBaseline = 'bottom';
  context.fillText(axisLabels[0], frame.left + frame.plotWidth / 2, frame.height - 3);
  context.translate(12, frame.top + frame.plotHeight / 2);
  context.rotate(-Math.PI / 2);
  context.textBaseline = 'middle';
  context.fillText(axisLabels[1], 0, 0);
  context.restore();
}

/** What a marker needs of a path: a canvas, or the SVG recorder below. */
type PathSink = Pick<CanvasPath, 'moveTo' | 'lineTo' | 'arc' | 'closePath' | 'rect'>;

/** Adds one marker to the current path (filled or stroked once per series: thousands of points stay cheap). */
export function addMarker(path: PathSink, marker: Marker, x: number, y: number, size: number): void {
  const polygon = (corners: number, radius: number, turn: number, inner = 0) => {
    const count = inner ? 2 * corners : corners;
    for (let k = 0; k < count; k++) {
      const [angle, r] = [turn + (k * 2 * Math.PI) / count, inner && k % 2 ? inner : radius];
      const [px, py] = [x + r * Math.sin(angle), y - r * Math.cos(angle)];
      if (k === 0) path.moveTo(px, py);
      else path.lineTo(px, py);
    }
    path.closePath();
  };
  const arm = (dx: number, dy: number) => {
    path.moveTo(x - dx, y - dy);
    path.lineTo(x + dx, y + dy);
  };
  switch (marker) {
    case 'square':
      return path.rect(x - size * 0.9, y - size * 0.9, size * 1.8, size * 1.8);
    case 'triangle':
      return polygon(3, size * 1.35, 0);
    case 'triangle-down':
      return polygon(3, size * 1.35, Math.PI);
    case 'diamond':
      return polygon(4, size * 1.3, 0);
    case 'hexagon':
      return polygon(6, size * 1.15, Math.PI / 6);
    case 'star':
      return polygon(5, size * 1.55, 0, size * 0.65);
    case 'plus':
      arm(size * 1.3, 0);
      return arm(0, size * 1.3);
    case 'cross':
      arm(size, size);
      return arm(size, -size);
    case 'circle':
    case 'ring':
      path.moveTo(x + size, y);
      return path.arc(x, y, size, 0, 2 * Math.PI);
  }
}

/** The same marker as SVG path data, so a legend's swatch is drawn from the plot's own geometry. */
export function markerPathData(marker: Marker, x: number, y: number, size: number): string {
  const n = (value: number) => Number(value.toFixed(2));
  let d = '';
  addMarker(
    {
      moveTo: (px, py) => void (d += `M${n(px)} ${n(py)}`),
      lineTo: (px, py) => void (d += `L${n(px)} ${n(py)}`),
      closePath: () => void (d += 'Z'),
      rect: (px, py, w, h) => void (d += `M${n(px)} ${n(py)}h${n(w)}v${n(h)}h${n(-w)}Z`),
      // Only whole circles are drawn: two half arcs.
      arc: (cx, cy, r) => void (d += `M${n(cx + r)} ${n(cy)}A${n(r)} ${n(r)} 0 1 1 ${n(cx - r)} ${n(cy)}A${n(r)} ${n(r)} 0 1 1 ${n(cx + r)} ${n(cy)}Z`),
    },
    marker,
    x,
    y,
    size,
  );
  return d;
}

/** The plane point under canvas position (px, py), in CSS pixels: the inverse of frame.x and frame.y. */
export function planeAt(frame: Frame, px: number, py: number): [number, number] {
  const [x0, x1, y0, y1] = frame.view;
  return [x0 + ((px - frame.left) / frame.plotWidth) * (x1 - x0), y1 - ((py - frame.top) / frame.plotHeight) * (y1 - y0)];
}
