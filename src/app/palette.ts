import type { Marker } from './components/plane';

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
