/** Where a plot's tooltip goes beside its point (the latent scatter's, ScatterPlot). */

/** CSS pixels between a point and its tooltip's side (styles.css's .scatter-tooltip translates by as much). */
export const TIP_GAP_PX = 10;
/** A point's tooltip goes under it when above it are fewer CSS pixels of plot than this (a tooltip of two lines, and its gap). */
export const TIP_ROOM_PX = 48;

export interface TipPlacement {
  /** The point, in CSS pixels as shown. */
  left: number;
  top: number;
  /** On the point's left (it is in the plot's right half). */
  flip: boolean;
  /** Under the point (it is near the plot's top). */
  below: boolean;
  /** The tooltip's widest, in CSS pixels: what lies between the gap beside the point and the plot's edge on that side. */
  room: number;
}

/**
 * Where a point's tooltip goes, so that it stays within the plot: a card clips what leaves
 * it (styles.css's containment). On the side of the point with more room, never wider than
 * that room; under the point near the top. (x, y): the point in the frame's pixels; `shown`:
 * shown pixels per frame pixel.
 */
export function tipPlacement(x: number, y: number, width: number, shown: number): TipPlacement {
  const flip = x > width / 2;
  return { left: x * shown, top: y * shown, flip, below: y * shown < TIP_ROOM_PX, room: (flip ? x : width - x) * shown - TIP_GAP_PX };
}
