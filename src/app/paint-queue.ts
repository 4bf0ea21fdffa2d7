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
   * Draws `steps` in order, each as a drawing of its own (so a long drawing is spread over
   * tasks like several short ones). A chain whose first step was drawn is finished before
   * the next one of `owner` starts, so that a plot asked to redraw more often than its steps
   * take (a replay's film, slow motion) still shows each drawing it completes; of the chains
   * asked for meanwhile, only the latest is drawn.
   */
  paintSteps(owner: object, steps: readonly (() => void)[]): void;
  /** Drops every drawing of `owner` not yet drawn, a chain's remaining steps and the chain after it too (a plot that goes). */
  cancel(owner: object): void;
  /** Whether a drawing of `owner` is waiting, or a chain of its steps is under way. */
  pending(owner: object): boolean;
}

/**
 * Drawing done in one task before the rest waits for the next (ms): on the page none, one
 * drawing a task. Without a GPU a canvas rasterizes what a task drew as the task ends, which
 * a clock read within the task cannot see: with an 8 ms budget, the GAN's plots on ring made
 * tasks of 50-126 ms as the page filled them (most of it rasterizing, a trace showed). In
 * nine watches of the GAN, the EBM and the VAE on ring (8 s each, by turns with a build from
 * before the plots' steps), one drawing a task made 11 tasks over 50 ms (50-63 ms) against
 * 21 (50-126); the steps with the 8 ms budget, 12 against 10.
 */
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
  const enqueue = (owner: object, draw: () => void) => {
    waiting.delete(owner); // to the back of the line: it was just asked for again
    waiting.set(owner, draw);
    later();
  };
  /** Chains whose first step was drawn, by owner, with the latest chain asked for meanwhile. */
  const underWay = new Map<object, { next?: readonly (() => void)[] }>();
  const start = (owner: object, steps: readonly (() => void)[]) => {
    const chain: { next?: readonly (() => void)[] } = {};
    const finish = () => {
      underWay.delete(owner);
      if (chain.next) start(owner, chain.next);
    };
    const step = (index: number) => () => {
      underWay.set(owner, chain);
      try {
        steps[index]();
      } catch (error) {
        finish();
        throw error;
      }
      // a step that painted or cancelled its own owner ended the chain
      if (underWay.get(owner) !== chain) return;
      // the next step waits its turn behind the other canvases
      if (index + 1 < steps.length) enqueue(owner, step(index + 1));
      else finish();
    };
    if (steps.length > 0) enqueue(owner, step(0));
    else waiting.delete(owner); // nothing to draw, in place of what waited
  };
  return {
    paint(owner, draw) {
      underWay.delete(owner); // a whole drawing supersedes a chain
      enqueue(owner, draw);
      return () => {
        if (waiting.get(owner) === draw) waiting.delete(owner);
      };
    },
    paintSteps(owner, steps) {
      const chain = underWay.get(owner);
      if (chain) chain.next = steps;
      else start(owner, steps);
    },
    cancel(owner) {
      waiting.delete(owner);
      underWay.delete(owner);
    },
    pending: (owner) => waiting.has(owner) || underWay.has(owner),
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
