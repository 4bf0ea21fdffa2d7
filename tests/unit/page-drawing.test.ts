/**
 * What keeps the page responsive while a model trains: the charts' axes and paths (drawn
 * as a few SVG elements), canvas drawing queued and spread over tasks, store updates
 * throttled, and sample grids written a pixel per 32-bit word, all checked against
 * answers worked out by hand.
 */
import { describe, expect, it, vi } from 'vitest';
import { labelStride, linePath, nearestIndex, scale, titleLines, valueAxis } from '../../src/app/components/chart-geometry';
import { gridImage } from '../../src/app/components/grid-image';
import { makeFrame } from '../../src/app/components/plane';
import { seriesSteps } from '../../src/app/components/series-steps';
import { createPaintQueue, PAINT_BUDGET_MS } from '../../src/app/paint-queue';
import { throttle, whenChanged } from '../../src/app/throttle';
import type { ImageGridPanel } from '../../src/core/views/panels';

describe('the value axis', () => {
  it('linear from 0, to a round end, with round ticks', () => {
    const axis = valueAxis([0.31, 0.12, 0.27]);
    expect([axis.low, axis.high]).toEqual([0, 0.35]);
    expect(axis.ticks).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
    expect(axis.labels.slice(0, 3)).toEqual(['0', '0.05', '0.10']);
  });

  it('a value below 0 moves the low end below it; not from zero starts at the lowest value', () => {
    expect(valueAxis([-3, 7]).low).toBe(-4);
    expect(valueAxis([120, 180], { fromZero: false })).toMatchObject({ low: 120, high: 180 });
    // non-finite values are ignored; one value alone still spans a range
    expect(valueAxis([5, NaN, Infinity])).toMatchObject({ low: 0, high: 5 });
    expect(valueAxis([])).toMatchObject({ low: 0, high: 1 });
  });

  it('log: round ends among 1, 2, 5 x 10^k, decades as ticks over a wide range', () => {
    const wide = valueAxis([0.003, 40], { log: true });
    expect([wide.low, wide.high]).toEqual([0.002, 50]);
    expect(wide.ticks).toEqual([0.01, 0.1, 1, 10]);
    const narrow = valueAxis([0.3, 1.7], { log: true });
    expect([narrow.low, narrow.high]).toEqual([0.2, 2]);
    expect(narrow.ticks).toEqual([0.2, 0.5, 1, 2]);
  });

  it('log with a value at or below 0 falls back to linear', () => {
    expect(valueAxis([0, 3], { log: true }).log).toBe(false);
  });
});

describe('value labels on a short chart', () => {
  it('labels every tick while they are 16 px apart, else every second or third, the first always', () => {
    // ten ticks 30 px apart (a desktop chart), 9 px apart (a phone's), 6 px apart
    expect(labelStride([300, 270, 240, 210, 180, 150, 120, 90, 60, 30], 16)).toBe(1);
    expect(labelStride([90, 81, 72, 63, 54, 45, 36, 27, 18, 9], 16)).toBe(2);
    expect(labelStride([60, 54, 48, 42, 36, 30, 24, 18, 12, 6], 16)).toBe(3);
    // log ticks crowd at the top of each decade: the stride answers for the closest pair it labels
    expect(labelStride([100, 70, 52, 40, 0], 16)).toBe(2);
    expect(labelStride([], 16)).toBe(1);
  });
});

describe('the vertical axis title on a short chart', () => {
  it('stays one line where it fits, else breaks at the space nearest its middle', () => {
    // 16 characters at 7 px: 112 px
    expect(titleLines('nats per example', 200, 7)).toEqual(['nats per example']);
    expect(titleLines('nats per example', 112, 7)).toEqual(['nats per example']);
    expect(titleLines('nats per example', 90, 7)).toEqual(['nats per', 'example']);
    expect(titleLines('bits per dimension (lower is better)', 120, 7)).toEqual(['bits per dimension', '(lower is better)']);
    expect(titleLines('energy', 20, 7)).toEqual(['energy']);
  });
});

describe('series geometry', () => {
  it('maps values linearly and in log space', () => {
    expect(scale(0, 10, 100, 200)(2.5)).toBe(125);
    // y grows downwards: the high end at the top
    expect(scale(0, 10, 200, 100)(10)).toBe(100);
    expect(scale(1, 100, 0, 100, true)(10)).toBeCloseTo(50);
  });

  it('one path through the points that have the key, bridging gaps, skipping what a log axis cannot show', () => {
    const points = [{ step: 0, loss: 4 }, { step: 1 }, { step: 2, loss: NaN }, { step: 3, loss: 2 }, { step: 4, loss: 0 }] as { step: number; loss: number }[];
    const x = (step: number) => step * 10;
    const y = (value: number) => 100 - value;
    expect(linePath(points, 'loss', x, y)).toBe('M0.0,96.0L30.0,98.0L40.0,100.0');
    expect(linePath(points, 'loss', x, y, true)).toBe('M0.0,96.0L30.0,98.0');
    expect(linePath([], 'loss', x, y)).toBe('');
  });

  it('finds the point nearest a step', () => {
    const points = [0, 10, 20, 40].map((step) => ({ step }));
    expect([-5, 4, 6, 29, 31, 99].map((step) => nearestIndex(points, step))).toEqual([0, 0, 1, 2, 3, 3]);
    expect(nearestIndex([], 3)).toBe(-1);
  });
});

describe('the paint queue', () => {
  /** A queue on a fake clock whose tasks run when `flush` is called. */
  function fakeQueue(budget = 8) {
    let time = 0;
    const tasks: (() => void)[] = [];
    const queue = createPaintQueue((run) => tasks.push(run), () => time, budget);
    const flushOne = () => tasks.shift()?.();
    return { queue, tasks, flushOne, advance: (ms: number) => (time += ms) };
  }

  it('draws after the caller, once per owner, with the latest request', () => {
    const { queue, tasks, flushOne } = fakeQueue();
    const drawn: string[] = [];
    const [a, b] = [{}, {}];
    queue.paint(a, () => drawn.push('a1'));
    queue.paint(b, () => drawn.push('b'));
    queue.paint(a, () => drawn.push('a2'));
    expect(drawn).toEqual([]);
    expect(queue.pending(a)).toBe(true);
    expect(tasks).toHaveLength(1);
    flushOne();
    expect(drawn).toEqual(['b', 'a2']);
    expect(queue.pending(a)).toBe(false);
  });

  it('leaves the rest to the next task once the budget is spent', () => {
    const { queue, tasks, flushOne, advance } = fakeQueue(8);
    const drawn: number[] = [];
    for (let i = 0; i < 4; i++) queue.paint({}, () => (drawn.push(i), advance(5)));
    flushOne();
    expect(drawn).toEqual([0, 1]);
    expect(tasks).toHaveLength(1);
    flushOne();
    expect(drawn).toEqual([0, 1, 2, 3]);
    expect(tasks).toHaveLength(0);
  });

  it('draws one drawing a task on the page', () => {
    const { queue, tasks, flushOne } = fakeQueue(PAINT_BUDGET_MS);
    const drawn: number[] = [];
    for (let i = 0; i < 3; i++) queue.paint({}, () => drawn.push(i));
    flushOne();
    expect(drawn).toEqual([0]);
    flushOne();
    flushOne();
    expect(drawn).toEqual([0, 1, 2]);
    expect(tasks).toHaveLength(0);
  });

  const steps = (drawn: string[], names: string[]) => names.map((name) => () => void drawn.push(name));
  const flushAll = (tasks: (() => void)[], flushOne: () => void) => {
    while (tasks.length > 0) flushOne();
  };

  it('draws steps in order, each a drawing of its own behind the other canvases', () => {
    const { queue, tasks, flushOne } = fakeQueue(0);
    const drawn: string[] = [];
    const [plot, grid] = [{}, {}];
    queue.paintSteps(plot, steps(drawn, ['field', 'points', 'axes']));
    queue.paint(grid, () => drawn.push('grid'));
    flushOne();
    expect(drawn).toEqual(['field']);
    expect(queue.pending(plot)).toBe(true);
    flushOne();
    // the next step waited its turn behind the grid
    expect(drawn).toEqual(['field', 'grid']);
    flushAll(tasks, flushOne);
    expect(drawn).toEqual(['field', 'grid', 'points', 'axes']);
    expect(queue.pending(plot)).toBe(false);
  });

  it('finishes a chain under way, then draws only the latest one asked for meanwhile', () => {
    const { queue, tasks, flushOne } = fakeQueue(0);
    const drawn: string[] = [];
    const plot = {};
    // not yet started: replaced
    queue.paintSteps(plot, steps(drawn, ['stale 1', 'stale 2']));
    queue.paintSteps(plot, steps(drawn, ['a1', 'a2', 'a3']));
    flushOne();
    // asked for faster than the chain draws: neither stops it, the later waits
    queue.paintSteps(plot, steps(drawn, ['b1', 'b2']));
    flushOne();
    queue.paintSteps(plot, steps(drawn, ['c1', 'c2']));
    flushAll(tasks, flushOne);
    expect(drawn).toEqual(['a1', 'a2', 'a3', 'c1', 'c2']);
    expect(queue.pending(plot)).toBe(false);
  });

  it('a step that cancels or repaints its own owner ends its chain', () => {
    const { queue, tasks, flushOne } = fakeQueue(0);
    const drawn: string[] = [];
    const plot = {};
    queue.paintSteps(plot, [() => (drawn.push('a1'), queue.cancel(plot)), () => drawn.push('a2')]);
    flushAll(tasks, flushOne);
    expect(drawn).toEqual(['a1']);
    queue.paintSteps(plot, [() => (drawn.push('b1'), queue.paint(plot, () => drawn.push('whole'))), () => drawn.push('b2')]);
    flushAll(tasks, flushOne);
    expect(drawn).toEqual(['a1', 'b1', 'whole']);
    expect(queue.pending(plot)).toBe(false);
  });

  it('drops a chain cancelled or superseded by a whole drawing; a failing step frees its owner', () => {
    vi.useFakeTimers();
    try {
      const { queue, tasks, flushOne } = fakeQueue(0);
      const drawn: string[] = [];
      const plot = {};
      queue.paintSteps(plot, steps(drawn, ['a1', 'a2']));
      flushOne();
      queue.paintSteps(plot, steps(drawn, ['next']));
      queue.cancel(plot);
      expect(queue.pending(plot)).toBe(false);
      flushAll(tasks, flushOne);
      expect(drawn).toEqual(['a1']);

      queue.paintSteps(plot, steps(drawn, ['b1', 'b2']));
      flushOne();
      queue.paint(plot, () => drawn.push('whole'));
      expect(queue.pending(plot)).toBe(true);
      flushAll(tasks, flushOne);
      expect(drawn).toEqual(['a1', 'b1', 'whole']);
      expect(queue.pending(plot)).toBe(false);

      queue.paintSteps(plot, [
        () => {
          throw new Error('broken step');
        },
        () => drawn.push('never'),
      ]);
      flushOne();
      expect(queue.pending(plot)).toBe(false);
      expect(() => vi.runAllTimers()).toThrow('broken step');
      queue.paintSteps(plot, steps(drawn, ['after']));
      flushAll(tasks, flushOne);
      expect(drawn).toEqual(['a1', 'b1', 'whole', 'after']);
      // a step that fails with a chain parked behind it: the parked chain is drawn
      queue.paintSteps(plot, [
        () => drawn.push('c1'),
        () => {
          throw new Error('broken again');
        },
      ]);
      flushOne();
      queue.paintSteps(plot, steps(drawn, ['parked']));
      flushAll(tasks, flushOne);
      expect(() => vi.runAllTimers()).toThrow('broken again');
      expect(drawn.slice(-2)).toEqual(['c1', 'parked']);
      // no steps: nothing to draw, in place of a chain not yet started
      queue.paintSteps(plot, steps(drawn, ['replaced']));
      queue.paintSteps(plot, []);
      expect(queue.pending(plot)).toBe(false);
      flushAll(tasks, flushOne);
      expect(drawn).not.toContain('replaced');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a cancelled drawing is not drawn; a failing one does not stop the others', () => {
    vi.useFakeTimers();
    try {
      const { queue, flushOne } = fakeQueue();
      const drawn: string[] = [];
      const cancel = queue.paint({}, () => drawn.push('cancelled'));
      queue.paint({}, () => {
        throw new Error('broken');
      });
      queue.paint({}, () => drawn.push('after'));
      cancel();
      flushOne();
      expect(drawn).toEqual(['after']);
      // the failure is rethrown in a task of its own, as an uncaught error
      expect(() => vi.runAllTimers()).toThrow('broken');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('throttle', () => {
  it('runs at once, then at most once per interval, ending on the latest request', () => {
    vi.useFakeTimers();
    try {
      let time = 0;
      const run = vi.fn();
      const updates = throttle(run, 500, () => time);
      updates.request();
      expect(run).toHaveBeenCalledTimes(1);
      time = 100;
      updates.request();
      updates.request();
      expect(run).toHaveBeenCalledTimes(1);
      time = 500;
      vi.advanceTimersByTime(400);
      expect(run).toHaveBeenCalledTimes(2);
      time = 2000;
      updates.request();
      expect(run).toHaveBeenCalledTimes(3);
      time = 2100;
      updates.request();
      updates.cancel();
      vi.advanceTimersByTime(1000);
      expect(run).toHaveBeenCalledTimes(3);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a throttled store value', () => {
  it('counts a change of the value itself, not other changes of the store', () => {
    let state = { train: [1], step: 0 };
    const then = vi.fn();
    const listener = whenChanged(() => state.train, then);
    state = { ...state, step: 1 };
    listener();
    expect(then).not.toHaveBeenCalled();
    state = { ...state, train: [1, 2] };
    listener();
    listener();
    expect(then).toHaveBeenCalledTimes(1);
  });
});

describe('a sample grid as pixels', () => {
  class FakeImageData {
    data: Uint8ClampedArray;
    constructor(
      public width: number,
      public height: number,
    ) {
      this.data = new Uint8ClampedArray(width * height * 4);
    }
  }

  const panel = (channels: number, pixels: number[], count = 2): ImageGridPanel =>
    ({ kind: 'image-grid', id: 'g', title: '', caption: '', width: 1, height: 1, channels, columns: 2, count, pixels: Uint8ClampedArray.from(pixels) }) as ImageGridPanel;

  it('grey as ink (inverted) or as stored, RGB as is, RGBA over white, with white gaps', () => {
    vi.stubGlobal('ImageData', FakeImageData);
    try {
      const rgba = (image: ImageData) => Array.from(image.data);
      // two 1x1 images side by side, a 1-pixel white gap between
      expect(rgba(gridImage(panel(1, [0, 200]), 1, true))).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 55, 55, 55, 255]);
      expect(rgba(gridImage(panel(1, [0, 200]), 0, false))).toEqual([0, 0, 0, 255, 200, 200, 200, 255]);
      expect(rgba(gridImage(panel(3, [10, 20, 30, 40, 50, 60]), 0))).toEqual([10, 20, 30, 255, 40, 50, 60, 255]);
      // half-transparent red over white is pink; a transparent pixel is the page
      expect(rgba(gridImage(panel(4, [255, 0, 0, 128, 9, 9, 9, 0]), 0))).toEqual([255, 127, 127, 255, 255, 255, 255, 255]);
      // a third image wraps to a second row; the empty cell stays white
      expect(gridImage(panel(1, [0, 0, 0], 3), 0)).toMatchObject({ width: 2, height: 2 });
      expect(rgba(gridImage(panel(1, [0, 0, 0], 3), 0)).slice(12)).toEqual([255, 255, 255, 255]);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

interface Drawn {
  on: string;
  paint: 'stroke' | 'fill' | 'image' | 'clear';
  style: string;
  alpha: number;
  /** The transform's scale when it drew. */
  scale: number;
  path: string[];
}

/**
 * A 2-D context that records, for each stroke, fill, clear or laid-on image, the path it drew
 * (moves, lines and circles, in plane order), at what alpha and scale; save and restore keep
 * the alpha and the scale as a canvas does.
 */
function recordingContext(name: string, size: { width: number; height: number }, log: Drawn[] = []) {
  let path: string[] = [];
  const saved: [number, number][] = [];
  const context = {
    canvas: size,
    fillStyle: '',
    strokeStyle: '',
    lineWidth: 1,
    globalAlpha: 1,
    scale: 2,
    lineJoin: '',
    lineCap: '',
    save() {
      saved.push([context.globalAlpha, context.scale]);
    },
    restore() {
      [context.globalAlpha, context.scale] = saved.pop()!;
    },
    clip() {},
    setTransform(a: number) {
      context.scale = a;
    },
    getTransform: () => ({ a: context.scale }),
    clearRect(_x: number, _y: number, width: number, height: number) {
      log.push({ on: name, paint: 'clear', style: `${width}x${height}`, alpha: context.globalAlpha, scale: context.scale, path: [] });
    },
    beginPath() {
      path = [];
    },
    rect() {},
    moveTo(x: number, y: number) {
      path.push(`M${x.toFixed(1)},${y.toFixed(1)}`);
    },
    lineTo(x: number, y: number) {
      path.push(`L${x.toFixed(1)},${y.toFixed(1)}`);
    },
    arc(x: number, y: number) {
      path.push(`O${x.toFixed(1)},${y.toFixed(1)}`);
    },
    closePath() {},
    stroke() {
      log.push({ on: name, paint: 'stroke', style: context.strokeStyle, alpha: context.globalAlpha, scale: context.scale, path });
    },
    fill() {
      log.push({ on: name, paint: 'fill', style: context.fillStyle, alpha: context.globalAlpha, scale: context.scale, path });
    },
    drawImage(image: { name: string; width: number; height: number }) {
      log.push({ on: name, paint: 'image', style: `${image.name} ${image.width}x${image.height}`, alpha: context.globalAlpha, scale: context.scale, path: [] });
    },
  };
  return { context: context as unknown as CanvasRenderingContext2D & { globalAlpha: number }, log };
}

/** A plot's context (720 x 700 device pixels at a pixel ratio of 2) and the scratch canvases seriesSteps makes, all recording into one log; `contexts: false` makes scratch canvases the browser gives no context. */
function recordingPlot({ contexts = true } = {}) {
  const { context, log } = recordingContext('plot', { width: 720, height: 700 });
  let made = 0;
  const makeScratch = () => {
    const canvas = { name: `scratch ${made++}`, width: 300, height: 150 };
    const scratch = recordingContext(canvas.name, canvas, log).context;
    return Object.assign(canvas, { getContext: () => (contexts ? scratch : null) }) as unknown as HTMLCanvasElement;
  };
  return { context, log, makeScratch, made: () => made };
}

describe('a plot\'s series, drawn in steps', () => {
  const frame = makeFrame([-1, 1, -1, 1], 360);
  const along = (count: number) => Float32Array.from({ length: 2 * count }, (_, i) => (i % 2 ? 0.5 : -1 + (2 * Math.floor(i / 2)) / count));
  const circles = (path: string[]) => path.filter((op) => op.startsWith('O'));

  it('haloed dots: white rings a few hundred to a step, opaque on a scratch canvas laid on at the halo\'s alpha, under one fill of every dot', () => {
    const plot = recordingPlot();
    const steps = seriesSteps(frame, [{ label: 'samples', points: along(600) }], true, plot.makeScratch);
    steps.forEach((step) => step(plot.context));
    // 600 dots: rings in three strokes (250, 250, 100), the rings laid on, then the dots in one fill
    expect(steps).toHaveLength(5);
    // the scratch takes the plot's size and is cleared whole, then drawn at the plot's scale; the
    // plot lays it on pixel for pixel (scale 1), and its alpha and scale come back after
    expect(plot.log.map((d) => [d.on, d.paint, d.alpha, d.scale, circles(d.path).length])).toEqual([
      ['scratch 0', 'clear', 1, 1, 0],
      ['scratch 0', 'stroke', 1, 2, 250],
      ['scratch 0', 'stroke', 1, 2, 250],
      ['scratch 0', 'stroke', 1, 2, 100],
      ['plot', 'image', 0.85, 1, 0],
      ['plot', 'fill', 0.95, 2, 600],
    ]);
    expect(plot.log[0].style).toBe('720x700');
    expect(plot.log[4].style).toBe('scratch 0 720x700');
    expect(plot.log[1].style).toBe('#ffffff');
    expect([plot.context.globalAlpha, plot.context.getTransform().a]).toEqual([1, 2]);
    const ringed = plot.log.slice(1, 4).flatMap((d) => circles(d.path));
    expect(ringed).toEqual(circles(plot.log[5].path));
    expect(new Set(ringed).size).toBe(600);
  });

  it('a line in parts that share their end points, broken at a missing point; segments a pair at a time; one part straight on the plot', () => {
    const line = along(600);
    line[2 * 300] = NaN;
    const plot = recordingPlot();
    const steps = seriesSteps(frame, [{ label: 'curve', points: line, style: 'line' }, { label: 'paths', points: along(520), style: 'segments' }, { label: 'short', points: along(40), style: 'segments' }], false, plot.makeScratch);
    steps.forEach((step) => step(plot.context));
    // 599 segments of the line in three strokes laid on once, 260 pairs in two laid on once, 20 pairs straight on the plot
    // one scratch, cleared before each stroke that goes through it
    expect(plot.log.map((d) => [d.on, d.paint, d.alpha])).toEqual([
      ['scratch 0', 'clear', 1],
      ...Array(3).fill(['scratch 0', 'stroke', 1]),
      ['plot', 'image', 0.95],
      ['scratch 0', 'clear', 1],
      ...Array(2).fill(['scratch 0', 'stroke', 1]),
      ['plot', 'image', 0.75],
      ['plot', 'stroke', 0.75],
    ]);
    expect(plot.made()).toBe(1);
    plot.log.splice(5, 1);
    plot.log.splice(0, 1);
    const joined = plot.log.slice(0, 3).map((d) => d.path);
    // each part starts where the last ended; point 300 is missing, so 299 ends a piece and 301 starts one
    expect(joined[1][0]).toBe(joined[0].at(-1)!.replace('L', 'M'));
    expect(joined[2][0]).toBe(joined[1].at(-1)!.replace('L', 'M'));
    expect(joined.flat().filter((op) => op.startsWith('L'))).toHaveLength(599 - 2);
    expect(joined[1].filter((op) => op.startsWith('M'))).toHaveLength(2);
    expect(plot.log.slice(4, 6).map((d) => d.path.length / 2)).toEqual([250, 10]);
    expect(plot.log[7].path.length / 2).toBe(20);
  });

  it('without a scratch context, parts go straight on the plot at the stroke\'s alpha; nothing to stroke takes no step', () => {
    const plot = recordingPlot({ contexts: false });
    const steps = seriesSteps(frame, [{ label: 'samples', points: along(300) }, { label: 'none', points: new Float32Array(0), style: 'line' }, { label: 'one', points: along(1), style: 'segments' }], true, plot.makeScratch);
    steps.forEach((step) => step(plot.context));
    // the dots' rings in two parts, an empty lay-on, the fill; the empty line and the lone point's segments, nothing
    expect(steps).toHaveLength(4);
    expect(plot.log.map((d) => [d.on, d.paint, d.alpha, circles(d.path).length])).toEqual([
      ['plot', 'stroke', 0.85, 250],
      ['plot', 'stroke', 0.85, 50],
      ['plot', 'fill', 0.95, 300],
    ]);
  });

  it('the data first, so the model\'s series lie on top', () => {
    const plot = recordingPlot();
    seriesSteps(frame, [{ label: 'samples', points: along(3) }, { label: 'data', points: along(4), role: 'data' }], false, plot.makeScratch).forEach((step) => step(plot.context));
    expect(plot.log.map((d) => circles(d.path).length)).toEqual([4, 3]);
  });
});
