/** Horizontal-axis bars (e.g. KL per latent dimension), inactive ones greyed, with the values as text. */
import type { BarsPanel } from '../../core/views/panels';
import { AXIS_INK } from '../palette';

const HEIGHT = 140;

export function BarChart({ panel }: { panel: BarsPanel }) {
  const values = Array.from(panel.values);
  const max = Math.max(...values, panel.threshold ?? 0, 1e-9);
  const width = Math.max(values.length * 22, 120);
  const barWidth = width / values.length;
  const format = (value: number) => (value >= 10 ? value.toFixed(1) : value.toFixed(2));
  const inactive = (value: number) => panel.threshold !== undefined && value < panel.threshold;
  return (
    <div className="bars" data-testid={`bars-${panel.id}`}>
      {panel.warning && (
        <p className="bars-warning" role="status">
          ⚠ {panel.warning}
        </p>
      )}
      <svg viewBox={`0 0 ${width} ${HEIGHT + 18}`} role="img" aria-label={`${panel.title}: ${values.map((v, i) => `${panel.labels[i]} ${format(v)}`).join(', ')} ${panel.unit}`}>
        {values.map((value, index) => {
          const height = (value / max) * HEIGHT;
          return (
            <g key={index}>
              <rect
                x={index * barWidth + 2}
                y={HEIGHT - height}
                width={Math.max(barWidth - 4, 1)}
                height={Math.max(height, 0.5)}
                fill={inactive(value) ? '#b8c2cc' : '#1d4e89'}
              >
                <title>{`${panel.labels[index]}: ${format(value)} ${panel.unit}`}</title>
              </rect>
              {values.length <= 32 && (
                <text x={index * barWidth + barWidth / 2} y={HEIGHT + 13} fontSize="10" textAnchor="middle" fill={AXIS_INK}>
                  {panel.labels[index]}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <p className="help">Bar heights in {panel.unit}; the tallest is {format(max)}.</p>
    </div>
  );
}
