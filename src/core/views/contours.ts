/**
 * Contour lines of a field on a grid, by marching squares (Lorensen and Cline's marching
 * cubes in two dimensions): each square of four neighbouring samples that a level crosses
 * gets a segment between the crossing points on its edges, found by linear interpolation.
 * Returned as pairs of points, ready for a 'segments' series over a field panel.
 */

/**
 * Segments [x0, y0, x1, y1, ...] where `values` (rows x columns, row 0 at y = yMax, as
 * field panels hold them, sampled at `centres` positions) crosses each level.
 */
export function contourSegments(
  values: Float32Array,
  rows: number,
  columns: number,
  [xMin, xMax, yMin, yMax]: readonly [number, number, number, number],
  levels: readonly number[],
): Float32Array {
  // the value at (row, column) sits at its cell's centre
  const x = (column: number) => xMin + ((column + 0.5) * (xMax - xMin)) / columns;
  const y = (row: number) => yMax - ((row + 0.5) * (yMax - yMin)) / rows;
  const out: number[] = [];
  for (const level of levels) {
    for (let row = 0; row + 1 < rows; row++) {
      for (let column = 0; column + 1 < columns; column++) {
        // the square's corners, clockwise from the top left, and where the level crosses each edge
        const corners: [number, number, number][] = [
          [values[row * columns + column], x(column), y(row)],
          [values[row * columns + column + 1], x(column + 1), y(row)],
          [values[(row + 1) * columns + column + 1], x(column + 1), y(row + 1)],
          [values[(row + 1) * columns + column], x(column), y(row + 1)],
        ];
        const crossings: number[] = [];
        for (let edge = 0; edge < 4; edge++) {
          const [a, ax, ay] = corners[edge];
          const [b, bx, by] = corners[(edge + 1) % 4];
          if (!Number.isFinite(a) || !Number.isFinite(b) || (a < level) === (b < level)) continue;
          // where the straight line between the two samples reaches the level
          const t = (level - a) / (b - a);
          crossings.push(ax + t * (bx - ax), ay + t * (by - ay));
        }
        // two crossings: one segment; four (a saddle): two, pairing neighbouring edges
        for (let i = 0; i + 3 < crossings.length; i += 4) out.push(crossings[i], crossings[i + 1], crossings[i + 2], crossings[i + 3]);
      }
    }
  }
  return Float32Array.from(out);
}

/** `count` levels evenly spaced strictly inside the values' finite range. */
export function evenLevels(values: Float32Array, count: number): number[] {
  let [low, high] = [Infinity, -Infinity];
  for (const value of values) if (Number.isFinite(value)) [low, high] = [Math.min(low, value), Math.max(high, value)];
  if (!(high > low)) return [];
  return Array.from({ length: count }, (_, i) => low + ((i + 1) * (high - low)) / (count + 1));
}
