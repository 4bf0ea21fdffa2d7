/**
 * A plot drawn in steps, each a drawing of the paint queue (so each may fall in a task of its
 * own), on a layer of its own, then copied to the page's canvas in one go: the plot changes at
 * once, never half drawn. A field's heatmap, its points and its axes took 40-140 ms as one
 * drawing the first time (the page's code not yet compiled, a model training on the other
 * core of a 2-core machine), one task over the browser's 50 ms line.
 */
import type { RefObject } from 'react';
import { paintQueue } from '../paint-queue';
import { prepareCanvas, type Frame } from './plane';

/** Each canvas's layer, kept between drawings. */
const layers = new WeakMap<object, HTMLCanvasElement>();

/** Draws `steps` on `canvas`'s layer, in order, then copies it to `canvas`. Returns a cancel. */
export function paintInSteps(canvas: RefObject<HTMLCanvasElement | null>, frame: Frame, steps: readonly ((context: CanvasRenderingContext2D) => void)[]): () => void {
  let context: CanvasRenderingContext2D | null = null;
  const layer = () => {
    const existing = layers.get(canvas);
    if (existing) return existing;
    const made = document.createElement('canvas');
    layers.set(canvas, made);
    return made;
  };
  return paintQueue.paintSteps(canvas, [
    () => {
      context = prepareCanvas(layer(), frame);
    },
    ...steps.map((step) => () => {
      if (context) step(context);
    }),
    () => {
      const shown = canvas.current && prepareCanvas(canvas.current, frame);
      if (context && shown) shown.drawImage(context.canvas, 0, 0, frame.width, frame.height);
    },
  ]);
}
