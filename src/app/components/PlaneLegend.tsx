/** The key under a plot: each series' label beside a small drawing of its mark, not just its colour. */
import type { PointSeries } from '../../core/views/panels';
import type { Marker } from '../palette';
import { markerPathData, seriesLooks, STROKED_MARKERS } from './plane';

export type Swatch = Marker | 'line' | 'segments' | 'arrow' | 'bar';

export interface LegendItem {
  label: string;
  color: string;
  swatch: Swatch;
}

/** Legend items for point series, in the colours and markers plane.ts draws them with. */
export function seriesLegendItems(series: readonly PointSeries[]): LegendItem[] {
  const looks = seriesLooks(series);
  return series.map((entry, index) => ({
    label: entry.label,
    color: looks[index].color,
    swatch: entry.style === 'line' || entry.style === 'segments' ? entry.style : looks[index].marker,
  }));
}

function SwatchMark({ swatch, color }: { swatch: Swatch; color: string }) {
  switch (swatch) {
    case 'line':
      return <path d="M1 10 L6 5 L10 8 L15 3" fill="none" stroke={color} strokeWidth="2" strokeLinejoin="round" />;
    case 'segments':
      return <path d="M2 11 L7 3 M9 11 L14 4" stroke={color} strokeWidth="1.3" />;
    case 'arrow':
      // White with a dark outline, as the arrows are drawn on the plot.
      return (
        <g fill="none" strokeLinecap="round" strokeLinejoin="round">
          <path d="M2 7 H13 M10 4 L13 7 L10 10" stroke="#14213d" strokeWidth="3.4" />
          <path d="M2 7 H13 M10 4 L13 7 L10 10" stroke="#fff" strokeWidth="1.4" />
        </g>
      );
    case 'bar':
      return <rect x="2" y="2" width="12" height="10" fill={color} fillOpacity="0.45" stroke={color} strokeWidth="1.5" />;
    default: {
      // A marker: the plot's own geometry, larger.
      const d = markerPathData(swatch, 8, 7, 4);
      return STROKED_MARKERS.has(swatch) ? <path d={d} fill="none" stroke={color} strokeWidth="1.8" /> : <path d={d} fill={color} />;
    }
  }
}

export function PlaneLegend({ items }: { items: readonly LegendItem[] }) {
  return (
    <ul className="legend plane-legend" aria-label="Key">
      {items.map((item, index) => (
        <li key={`${index}-${item.label}`}>
          <svg className="plane-swatch" viewBox="0 0 16 14" width="16" height="14" aria-hidden="true">
            <SwatchMark swatch={item.swatch} color={item.color} />
          </svg>
          {item.label}
        </li>
      ))}
    </ul>
  );
}
