/**
 * A plot drawn in steps, each a drawing of the paint queue (so each may fall in a task of its
 * own), on a layer of its own, then shown in one go: the plot changes at once, never half
 * drawn. A field's heatmap, its points and its axes took 40-140 ms as one drawing the first
 * time (the page's code not yet compiled, a model training on the other core of a 2-core
 * machine), one task over the browser's 50 ms line.
 */
import { useEffect, useRef, type DependencyList, type RefObject } from 'react';
import { paintQueue } from '../paint-queue';
import { copyLayer, prepareCanvas, type Frame } from './plane';
import type { DrawStep } from './series-steps';

export type PlotStep = DrawStep;

/**
 * Draws `steps(scratch)` on a layer whenever `deps` change (after the render), then calls
 * `show` with the layer as the chain's last step; drops what is left of a chain when the plot
 * goes. Two layers by turns: the one returned is the last drawn whole, kept intact while the
 * other is drawn on, so a caller may lay it under something drawn at every pointer move.
 * `scratch` gives the plot's scratch canvas (seriesSteps draws a series' strokes on it), made
 * when first asked for and kept: one chain of the plot's steps finishes before the next
 * starts, so one serves them all, where a new one each redraw would be a canvas's pixels to
 * allocate and collect at every refresh.
 */
export function useLayerInSteps(
  frame: Frame,
  steps: (scratch: () => HTMLCanvasElement) => PlotStep[],
  show: (layer: CanvasRenderingContext2D) => void,
  deps: DependencyList,
): RefObject<CanvasRenderingContext2D | null> {
  /** The paint queue's key for this plot's chains. */
  const owner = useRef<HTMLCanvasElement[]>([]);
  const shown = useRef<CanvasRenderingContext2D | null>(null);
  const scratch = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let context: CanvasRenderingContext2D | null = null;
    paintQueue.paintSteps(owner, [
      () => {
        if (owner.current.length === 0) owner.current = [document.createElement('canvas'), document.createElement('canvas')];
        const [first, second] = owner.current;
        context = prepareCanvas(shown.current?.canvas === first ? second : first, frame);
      },
      ...steps(() => (scratch.current ??= document.createElement('canvas'))).map((step) => () => {
        if (context) step(context);
      }),
      // showing the layer is when the browser really draws it: a task of its own
      () => {
        if (!context) return;
        shown.current = context;
        show(context);
      },
    ]);
    // the caller's deps name what its steps draw
  }, deps);
  useEffect(() => () => paintQueue.cancel(owner), []);
  return shown;
}

/** A plot drawn by `useLayerInSteps` and copied to `canvas` pixel for pixel (copyLayer). */
export function usePlotInSteps(canvas: RefObject<HTMLCanvasElement | null>, frame: Frame, steps: (scratch: () => HTMLCanvasElement) => PlotStep[], deps: DependencyList): void {
  useLayerInSteps(
    frame,
    steps,
    (layer) => {
      if (canvas.current) copyLayer(canvas.current, layer);
    },
    deps,
  );
}
