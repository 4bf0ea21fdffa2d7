/**
 * Panels of the plane shared by the families that train on 2-D points: the frame of a set,
 * data beside generated points, and polylines (a warped grid, a decoded curve) as one
 * series of segments.
 */
import type { PointsDataset } from '../datasets/points';
import type { PointSeries, PointsPanel } from './panels';

/** Test points a panel of the plane draws. */
export const SHOWN = 1000;
/** How many points a samples panel draws. */
export const POINT_SAMPLES = SHOWN;

/** The frame of a points set: its extent on both axes. */
export const frameOf = (data: PointsDataset) => [...data.spec.extent, ...data.spec.extent] as const;

/** Polylines as one 'segments' series: every polyline [p0, p1, ...] becomes p0-p1, p1-p2, ... */
export function polylinesAsSegments(lines: Float32Array[], label: string): PointSeries {
  const pairs: number[] = [];
  for (const line of lines) {
    for (let i = 0; i + 3 < line.length; i += 2) pairs.push(line[i], line[i + 1], line[i + 2], line[i + 3]);
  }
  return { label, points: Float32Array.from(pairs), style: 'segments' };
}

/** Data beside generated points. */
export function samplesPointsPanel(data: PointsDataset, samples: Float32Array, caption: string): PointsPanel {
  return {
    kind: 'points',
    id: 'samples',
    title: 'Generated samples',
    caption,
    series: [
      { label: 'data (test points)', points: data.coordinates('test', SHOWN), role: 'data' },
      { label: 'samples', points: samples },
    ],
    extent: frameOf(data),
    axisLabels: ['x1', 'x2'],
  };
}

/**
 * The centres of a cells x cells grid over a frame, [cells * cells, 2] interleaved, row 0
 * at the top (y = yMax) as field panels draw it: where a field (D's verdict, an energy) is
 * computed.
 */
export function gridCentres([xMin, xMax, yMin, yMax]: readonly [number, number, number, number], cells: number): Float32Array {
  const grid = new Float32Array(2 * cells * cells);
  for (let row = 0; row < cells; row++) {
    for (let column = 0; column < cells; column++) {
      const i = row * cells + column;
      grid[2 * i] = xMin + ((column + 0.5) * (xMax - xMin)) / cells;
      grid[2 * i + 1] = yMax - ((row + 0.5) * (yMax - yMin)) / cells;
    }
  }
  return grid;
}
