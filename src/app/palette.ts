/** The page's colours and marker shapes: for model series (charts, plots) and for classes. */

/** Okabe & Ito's colours, less black and yellow (lost against the axes and the page): one per series, dark enough for a projector. */
export const SERIES_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];
/** Axes, ticks and their labels on every plot: the page's muted text colour. */
export const AXIS_INK = '#4a5568';
/** The data is context, not the news: a neutral grey under the model's colours. */
export const DATA_GREY = '#9aa5b1';

/** A second cue besides colour, so readers who cannot tell the colours apart still can the series. */
export type Marker = 'circle' | 'square' | 'triangle' | 'diamond' | 'triangle-down' | 'plus' | 'cross' | 'star' | 'hexagon' | 'ring';

/** Paul Tol's "muted" scheme plus grey: ten classes that colour-blind readers can tell apart. */
export const CLASS_COLORS = ['#CC6677', '#332288', '#DDCC77', '#117733', '#88CCEE', '#882255', '#44AA99', '#999933', '#AA4499', '#7f7f7f'];

/**
 * A shape per class as well as a colour: in greyscale print, or to a reader who confuses two
 * of the colours, the classes still differ. Neighbouring classes get unlike shapes.
 */
export const CLASS_MARKERS: readonly Marker[] = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'plus', 'cross', 'star', 'hexagon', 'ring'];

/** Class `index`'s colour and marker; past ten classes, both repeat. */
export function classLook(index: number): { color: string; marker: Marker } {
  return { color: CLASS_COLORS[index % CLASS_COLORS.length], marker: CLASS_MARKERS[index % CLASS_MARKERS.length] };
}
