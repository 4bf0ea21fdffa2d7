/**
 * Counts in bins, several series over the same bins (D's scores on real and on fake data),
 * as overlapping translucent bars with an outline each, so every series stays visible.
 * Few bins: plain SVG.
 */
import type { HistogramPanel } from '../../core/views/panels';
import { AXIS_INK, SERIES_COLORS } from '../palette';
import { PlaneLegend } from './PlaneLegend';
import { formatTick, niceStep, ticks } from './ticks';

const [WIDTH, HEIGHT] = [360, 220];
const MARGIN = { right: 18, top: 10, bottom: 44 };
/** Width of a y-axis tick label's character (12px sans), and the room for the rotated axis title and the ticks. */
const [CHARACTER, AXIS_TITLE] = [7, 30];

function formatCount(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : Number(value.toPrecision(3)).toLocaleString('en-US');
}

export function Histogram({ panel }: { panel: HistogramPanel }) {
  const edges = Array.from(panel.edges);
  const bins = edges.length - 1;
  const [low, high] = [edges[0], edges[bins]];
  if (!(bins >= 1 && high > low && edges.every(Number.isFinite))) {
    return (
      <p className="help histogram" role="img" aria-label={`${panel.title}: no bins to show.`} data-testid={`histogram-${panel.id}`}>
        No bins to show yet.
      </p>
    );
  }
  // With nothing counted yet the axis still runs to a plain 1, not to a speck.
  const peak = Math.max(0, ...panel.series.flatMap((entry) => Array.from(entry.counts).filter(Number.isFinite))) || 1;
  const yStep = niceStep(peak, 4);
  // The y axis ends at a round count above the tallest bar.
  const top = Math.ceil(peak / yStep - 1e-9) * yStep;
  // room on the left for the longest tick label ("0.005" for a distribution), so the axis title never overlaps it
  const PAD = { ...MARGIN, left: AXIS_TITLE + CHARACTER * Math.max(...ticks(0, top, yStep).map((count) => formatTick(count, yStep).length)) };
  const plot = { width: WIDTH - PAD.left - PAD.right, height: HEIGHT - PAD.top - PAD.bottom };
  const xStep = niceStep(high - low, 5);
  const x = (value: number) => PAD.left + ((value - low) / (high - low)) * plot.width;
  const y = (count: number) => PAD.top + plot.height - (Math.max(0, count) / top) * plot.height;
  const bottom = PAD.top + plot.height;
  const color = (index: number) => SERIES_COLORS[index % SERIES_COLORS.length];

  const totals = panel.series.map((entry) => entry.counts.reduce((sum, count) => sum + (Number.isFinite(count) ? count : 0), 0));
  const label =
    `${panel.title}: ${panel.heightLabel ?? 'counts'} of ${panel.valueLabel} in ${bins} bins from ${formatTick(low, xStep)} to ${formatTick(high, xStep)}; ` +
    `${panel.series.map((entry, index) => `${entry.label} (${formatCount(totals[index])} in all)`).join(', ')}. ${panel.caption}`;

  return (
    <div className="histogram">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} data-testid={`histogram-${panel.id}`}>
        <g stroke="#e8ecf1">
          {ticks(0, top, yStep).map((count) => (
            <line key={count} x1={PAD.left} x2={PAD.left + plot.width} y1={y(count)} y2={y(count)} />
          ))}
        </g>
        {panel.series.map((entry, index) => {
          const counts = Array.from(entry.counts).slice(0, bins);
          // One outline along the bars' tops, so a bar hidden behind another still shows its edge.
          const outline =
            `M${x(low)},${bottom} ` + counts.map((count, bin) => `V${y(count)} H${x(edges[bin + 1])}`).join(' ') + ` V${bottom}`;
          return (
            <g key={index}>
              <g fill={color(index)} fillOpacity="0.35">
                {counts.map((count, bin) => (
                  <rect key={bin} x={x(edges[bin])} y={y(count)} width={Math.max(0, x(edges[bin + 1]) - x(edges[bin]))} height={bottom - y(count)}>
                    <title>{`${entry.label}: ${formatCount(count)} in [${formatTick(edges[bin], xStep / 10)}, ${formatTick(edges[bin + 1], xStep / 10)})`}</title>
                  </rect>
                ))}
              </g>
              <path d={outline} fill="none" stroke={color(index)} strokeWidth="1.6" strokeLinejoin="round" />
            </g>
          );
        })}
        <g stroke="#9aa5b1" fill="none">
          <path d={`M${PAD.left},${PAD.top} V${bottom} H${PAD.left + plot.width}`} />
          {ticks(low, high, xStep).map((value) => (
            <line key={value} x1={x(value)} x2={x(value)} y1={bottom} y2={bottom + 4} />
          ))}
          {ticks(0, top, yStep).map((count) => (
            <line key={count} x1={PAD.left - 4} x2={PAD.left} y1={y(count)} y2={y(count)} />
          ))}
        </g>
        <g fill={AXIS_INK} fontSize="12">
          {ticks(low, high, xStep).map((value) => (
            <text key={value} x={x(value)} y={bottom + 17} textAnchor="middle">
              {formatTick(value, xStep)}
            </text>
          ))}
          {ticks(0, top, yStep).map((count) => (
            <text key={count} x={PAD.left - 7} y={y(count)} textAnchor="end" dominantBaseline="middle">
              {formatTick(count, yStep)}
            </text>
          ))}
          <text x={PAD.left + plot.width / 2} y={HEIGHT - 5} textAnchor="middle" fontWeight="600">
            {panel.valueLabel}
          </text>
          <text transform={`translate(13 ${PAD.top + plot.height / 2}) rotate(-90)`} textAnchor="middle" fontWeight="600">
            {panel.heightLabel ?? 'count'}
          </text>
        </g>
      </svg>
      <PlaneLegend items={panel.series.map((entry, index) => ({ label: entry.label, color: color(index), swatch: 'bar' }))} />
    </div>
  );
}
