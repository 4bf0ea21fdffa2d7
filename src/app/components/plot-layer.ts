/**
 * A plot drawn in steps, each a drawing of the paint queue (so each may fall in a task of its
 * own), on a layer of its own, then copied to the page's canvas in one go: the plot changes at
 * once, never half drawn. A field's heatmap, its points and its axes took 40-140 ms as one
 * drawing the first time (the page's code not yet compiled, a model training on the other
 * core of a 2-core machine), one task over the browser's 50 ms line.
 */
import { useEffect, useRef, type DependencyList, type RefObject } from 'react';
import { paintQueue } from '../paint-queue';
import { copyLayer, prepareCanvas, type Frame } from './plane';

export type PlotStep = (context: CanvasRenderingContext2D) => void;

/**
 * Draws `steps()` on a layer whenever `deps` change (after the render), then copies the layer
 * to `canvas` pixel for pixel (copyLayer); drops what is left of it when the plot goes.
 */
export function usePlotInSteps(canvas: RefObject<HTMLCanvasElement | null>, frame: Frame, steps: () => PlotStep[], deps: DependencyList): void {
  const layer = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let context: CanvasRenderingContext2D | null = null;
    paintQueue.paintSteps(canvas, [
      () => {
        context = prepareCanvas((layer.current ??= document.createElement('canvas')), frame);
      },
      ...steps().map((step) => () => {
        if (context) step(context);
      }),
      () => {
        if (context && canvas.current) copyLayer(canvas.current, context);
      },
    ]);
    // the caller's deps name what its steps draw
  }, deps);
  useEffect(() => () => paintQueue.cancel(canvas), [canvas]);
}
