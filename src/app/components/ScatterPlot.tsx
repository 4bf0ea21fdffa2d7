/**
 * Points coloured by class, on a canvas (thousands of SVG nodes would slow the page).
 * When the model can decode any point of the plane, the plot is also the latent explorer:
 * press or drag (mouse, pen, touch), or move with the arrow keys, and the point under the
 * crosshair is decoded live beside the plot.
 */
import { useEffect, useMemo, useRef, type KeyboardEvent, type PointerEvent } from 'react';
import type { ScatterPanel } from '../../core/views/panels';
import { explore } from '../controller';
import { CLASS_COLORS } from '../palette';
import { useStore } from '../store';
import { ImageGrid } from './ImageGrid';

const SIZE = 360;
const MARGIN = 12;
/** Arrow keys move the crosshair by this fraction of the plot. */
const KEY_STEP = 1 / 40;

/** Data <-> canvas pixels: the points' bounding square, centred, y growing upwards. */
function fitTransform(points: Float32Array) {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < points.length; i += 2) {
    minX = Math.min(minX, points[i]);
    maxX = Math.max(maxX, points[i]);
    minY = Math.min(minY, points[i + 1]);
    maxY = Math.max(maxY, points[i + 1]);
  }
  const span = Math.max(maxX - minX, maxY - minY, 1e-6);
  const scale = (SIZE - 2 * MARGIN) / span;
  const center = [(minX + maxX) / 2, (minY + maxY) / 2];
  return {
    span,
    toCanvas: (x: number, y: number) => [SIZE / 2 + (x - center[0]) * scale, SIZE / 2 - (y - center[1]) * scale] as const,
    toData: (px: number, py: number) => [center[0] + (px - SIZE / 2) / scale, center[1] - (py - SIZE / 2) / scale] as [number, number],
    center: center as [number, number],
  };
}

export function ScatterPlot({ panel }: { panel: ScatterPanel }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const dragging = useRef(false);
  const explorer = useStore((state) => state.explorer);
  const transform = useMemo(() => fitTransform(panel.points), [panel]);
  const cursor = panel.explorable ? explorer?.point : undefined;

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const ratio = window.devicePixelRatio || 1;
    context.canvas.width = SIZE * ratio;
    context.canvas.height = SIZE * ratio;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, SIZE, SIZE);
    context.strokeStyle = '#d5dbe3';
    context.strokeRect(0.5, 0.5, SIZE - 1, SIZE - 1);
    context.globalAlpha = 0.75;
    const { points, labels } = panel;
    for (let i = 0; i < labels.length; i++) {
      context.fillStyle = CLASS_COLORS[labels[i] % CLASS_COLORS.length];
      const [x, y] = transform.toCanvas(points[2 * i], points[2 * i + 1]);
      context.beginPath();
      context.arc(x, y, 2.2, 0, 2 * Math.PI);
      context.fill();
    }
    context.globalAlpha = 1;
    if (cursor) {
      const [x, y] = transform.toCanvas(cursor[0], cursor[1]);
      context.strokeStyle = '#14213d';
      context.lineWidth = 2;
      context.beginPath();
      context.moveTo(x - 10, y);
      context.lineTo(x + 10, y);
      context.moveTo(x, y - 10);
      context.lineTo(x, y + 10);
      context.stroke();
    }
  }, [panel, transform, cursor]);

  const pointAt = (event: PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    return transform.toData(((event.clientX - rect.left) / rect.width) * SIZE, ((event.clientY - rect.top) / rect.height) * SIZE);
  };
  const handlers = panel.explorable
    ? {
        tabIndex: 0,
        onPointerDown: (event: PointerEvent<HTMLCanvasElement>) => {
          dragging.current = true;
          event.currentTarget.setPointerCapture(event.pointerId);
          explore(pointAt(event));
        },
        onPointerMove: (event: PointerEvent<HTMLCanvasElement>) => {
          if (dragging.current) explore(pointAt(event));
        },
        onPointerUp: () => {
          dragging.current = false;
        },
        onKeyDown: (event: KeyboardEvent<HTMLCanvasElement>) => {
          const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
          const move = moves[event.key];
          if (!move && event.key !== 'Enter') return;
          event.preventDefault();
          const from = cursor ?? transform.center;
          const step = transform.span * KEY_STEP * (event.shiftKey ? 5 : 1);
          explore(move ? [from[0] + move[0] * step, from[1] + move[1] * step] : from);
        },
      }
    : {};

  return (
    <div className={panel.explorable ? 'scatter explorable' : 'scatter'}>
      <div className="scatter-row">
        <canvas
          ref={canvas}
          style={{ width: SIZE, maxWidth: '100%', aspectRatio: '1', touchAction: panel.explorable ? 'none' : undefined }}
          role="img"
          aria-label={
            `${panel.title}: ${panel.labels.length} points. ${panel.caption}` +
            (panel.explorable ? ' Press or drag on the plot, or use the arrow keys, to decode a point.' : '')
          }
          data-testid={`scatter-${panel.id}`}
          {...handlers}
        />
        {panel.explorable && (
          <div className="decoded" aria-live="polite" data-testid="decoded-point">
            {explorer?.panel ? (
              <>
                <ImageGrid panel={explorer.panel} />
                <p className="help">
                  ({explorer.point[0].toFixed(2)}, {explorer.point[1].toFixed(2)})
                </p>
              </>
            ) : (
              <p className="help">Press or drag on the plot (or focus it and use the arrow keys) to decode any point.</p>
            )}
          </div>
        )}
      </div>
      <ul className="legend" aria-label="Colour key">
        {panel.classNames.map((name, index) => (
          <li key={name}>
            <span className="swatch" style={{ background: CLASS_COLORS[index % CLASS_COLORS.length] }} aria-hidden="true" />
            {name}
          </li>
        ))}
      </ul>
      <p className="help">
        Axes: {panel.axisLabels[0]} (right), {panel.axisLabels[1]} (up).
      </p>
    </div>
  );
}
