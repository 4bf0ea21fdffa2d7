/** Points coloured by class, on a canvas (thousands of SVG nodes would slow the page). */
import { useEffect, useRef } from 'react';
import type { ScatterPanel } from '../../core/views/panels';
import { CLASS_COLORS } from '../palette';

const SIZE = 360;
const MARGIN = 12;

export function ScatterPlot({ panel }: { panel: ScatterPanel }) {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const ratio = window.devicePixelRatio || 1;
    context.canvas.width = SIZE * ratio;
    context.canvas.height = SIZE * ratio;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, SIZE, SIZE);
    const { points, labels } = panel;
    const count = labels.length;
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (let i = 0; i < count; i++) {
      minX = Math.min(minX, points[2 * i]);
      maxX = Math.max(maxX, points[2 * i]);
      minY = Math.min(minY, points[2 * i + 1]);
      maxY = Math.max(maxY, points[2 * i + 1]);
    }
    const span = Math.max(maxX - minX, maxY - minY, 1e-6);
    const scale = (SIZE - 2 * MARGIN) / span;
    const centerX = (minX + maxX) / 2;
    const centerY = (minY + maxY) / 2;
    context.strokeStyle = '#d5dbe3';
    context.strokeRect(0.5, 0.5, SIZE - 1, SIZE - 1);
    context.globalAlpha = 0.75;
    for (let i = 0; i < count; i++) {
      context.fillStyle = CLASS_COLORS[labels[i] % CLASS_COLORS.length];
      const x = SIZE / 2 + (points[2 * i] - centerX) * scale;
      const y = SIZE / 2 - (points[2 * i + 1] - centerY) * scale; // y grows upwards, as on paper
      context.beginPath();
      context.arc(x, y, 2.2, 0, 2 * Math.PI);
      context.fill();
    }
    context.globalAlpha = 1;
  }, [panel]);

  return (
    <div className="scatter">
      <canvas
        ref={canvas}
        style={{ width: SIZE, maxWidth: '100%', aspectRatio: '1' }}
        role="img"
        aria-label={`${panel.title}: ${panel.labels.length} points. ${panel.caption}`}
        data-testid={`scatter-${panel.id}`}
      />
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
