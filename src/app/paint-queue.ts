/**
 * Canvas drawing, done after the render that asked for it and spread over tasks. A views
 * update redraws several canvases (sample grids, a scatter over decoded images, a field):
 * drawn in the render's own effects they block the page for their sum; queued here, each
 * drawing is a task of its own (or a few, within a budget, where a budget is given), so the
 * page can answer a click between two of them. A canvas asked to redraw before it was drawn
 * is drawn once, with the latest request; a long drawing can be cut into steps.
 */

export interface PaintQueue {
  /** Draws with `draw` soon, in place of any drawing of `owner` still waiting. Returns a cancel. */
  paint(owner: object, draw: () => void): () => void;
  /**
   * Draws `steps` in order, each as its own drawing of `owner` (so a long drawing is spread
   * over tasks like several short ones), in place of any drawing of `owner` still waiting.
   * A later paint of `owner`, or the returned cancel, drops the steps not yet drawn.
   */
  paintSteps(owner: object, steps: readonly (() => void)[]): () => void;
  /** Whether a drawing of `owner` is waiting. */
  pending(owner: object): boolean;
}

/** Drawing done in one task before the rest waits for the next (ms). */
export const PAINT_BUDGET_MS = 0;

/** `schedule` runs its argument in a later task; `now` reads a clock in ms. */
export function createPaintQueue(schedule: (run: () => void) => void, now: () => number, budgetMs = PAINT_BUDGET_MS): PaintQueue {
  const waiting = new Map<object, () => void>();
  let scheduled = false;
  const run = () => {
    scheduled = false;
    const started = now();
    for (const [owner, draw] of waiting) {
      waiting.delete(owner);
      try {
        draw();
      } catch (error) {
        // one broken drawing must not stop the others: report it as an uncaught error would be
        setTimeout(() => {
          throw error;
        });
      }
      if (waiting.size > 0 && now() - started >= budgetMs) break;
    }
    if (waiting.size > 0) later();
  };
  const later = () => {
    if (scheduled) return;
    scheduled = true;
    schedule(run);
  };
  const paint = (owner: object, draw: () => void) => {
    waiting.delete(owner); // to the back of the line: it was just asked for again
    waiting.set(owner, draw);
    later();
    return () => {
      if (waiting.get(owner) === draw) waiting.delete(owner);
    };
  };
  return {
    paint,
    paintSteps(owner, steps) {
      let cancel = () => {};
      const from = (index: number): (() => void) => () => {
        steps[index]();
        // the next step waits its turn behind the other canvases, within the task's budget
        if (index + 1 < steps.length) cancel = paint(owner, from(index + 1));
      };
      if (steps.length > 0) cancel = paint(owner, from(0));
      return () => cancel();
    },
    pending: (owner) => waiting.has(owner),
  };
}

/** A task soon after this one, without the clamping of nested timeouts (React's scheduler does the same). */
function nextTask(): (run: () => void) => void {
  if (typeof MessageChannel === 'undefined') return (run) => setTimeout(run, 0);
  const channel = new MessageChannel();
  let queued: (() => void)[] = [];
  channel.port1.onmessage = () => {
    const runs = queued;
    queued = [];
    runs.forEach((run) => run());
  };
  return (run) => {
    queued.push(run);
    channel.port2.postMessage(null);
  };
}

/** The page's queue. */
export const paintQueue = createPaintQueue(nextTask(), () => performance.now());
