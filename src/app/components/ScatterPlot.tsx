/**
 * The latent space as one picture: the codes of test images, a colour and a marker per class,
 * over the images the decoder makes of the same plane, on one pair of axes. Points go on a
 * canvas (a thousand SVG nodes would slow the page). When the model can decode any point, the
 * plot is also the latent explorer: press or drag (mouse, pen, touch), or move with the arrow
 * keys, and the point under the crosshair is decoded live beside the plot.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { Extent, ImageGridPanel, ScatterPanel } from '../../core/views/panels';
import { explore } from '../controller';
import { classLook, type Marker } from '../palette';
import { useStore } from '../store';
import { gridImage } from './grid-image';
import { ImageGrid, useInk } from './ImageGrid';
import { markerSprite, stamp, type Sprite } from './marker-sprites';
import { addMarker, copyLayer, drawAxes, drawGrid, fitExtent, makeFrame, planeAt, ratioOf, STROKED_MARKERS, type Frame } from './plane';
import { PlaneLegend } from './PlaneLegend';
import { useLayerInSteps, type PlotStep } from './plot-layer';
import { tipPlacement } from './tip-placement';

/** CSS pixels; the canvas shrinks with its card on narrow screens. */
const WIDTH = 400;
/** Arrow keys move the crosshair by this fraction of the plot (Shift: five times as far). */
const KEY_STEP = 1 / 40;
/** A hover names the nearest point this close to the pointer, in CSS pixels as shown. */
const HOVER_REACH = 8;
/** White over the decoded images: enough that every class's marker stands out, not so much the digits fade. */
const WASH = 0.6;
const MARK_SIZE = 2.6;
const INK = '#14213d';

/** The points' bounding box made square, so a unit is as long across as up. */
function squareExtent(points: Float32Array): Extent {
  const [x0, x1, y0, y1] = fitExtent([points]);
  const half = Math.max(x1 - x0, y1 - y0) / 2;
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  return [cx - half, cx + half, cy - half, cy + half];
}

const clip = (context: CanvasRenderingContext2D, frame: Frame) => {
  context.beginPath();
  context.rect(frame.left, frame.top, frame.plotWidth, frame.plotHeight);
  context.clip();
};

/** The decoded images tiled over `extent` (nearest-neighbour: sharp pixels), then the wash. */
function drawBackground(context: CanvasRenderingContext2D, frame: Frame, background: ImageGridPanel, [x0, x1, y0, y1]: Extent, ink: boolean): void {
  const image = gridImage(background, 0, ink);
  const tiles = document.createElement('canvas');
  [tiles.width, tiles.height] = [image.width, image.height];
  tiles.getContext('2d')?.putImageData(image, 0, 0);
  context.save();
  clip(context, frame);
  context.imageSmoothingEnabled = false;
  context.drawImage(tiles, frame.x(x0), frame.y(y1), frame.x(x1) - frame.x(x0), frame.y(y0) - frame.y(y1));
  context.fillStyle = `rgba(255, 255, 255, ${WASH})`;
  context.fillRect(frame.left, frame.top, frame.plotWidth, frame.plotHeight);
  context.restore();
}

/** A point's marker in its class's look, ringed in white so it reads on the images and on its neighbours. */
function drawMarker(context: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, { color, marker }: { color: string; marker: Marker }, x: number, y: number): void {
  const stroked = STROKED_MARKERS.has(marker);
  context.lineJoin = context.lineCap = 'round';
  context.beginPath();
  addMarker(context, marker, x, y, MARK_SIZE);
  context.strokeStyle = 'rgba(255, 255, 255, 0.9)';
  context.lineWidth = stroked ? 3.6 : 1.4;
  context.stroke();
  context.globalAlpha = 0.92;
  if (stroked) {
    context.strokeStyle = color;
    context.lineWidth = 1.6;
    context.stroke();
  } else {
    context.fillStyle = color;
    context.fill();
  }
  context.globalAlpha = 1;
}

/** Half a sprite's side, in CSS pixels: the widest marker with its white ring (the plus, 1.3 marks and half a 3.6 ring out: 5.2) and a pixel for smoothing. */
const SPRITE_HALF = Math.ceil(1.6 * MARK_SIZE + 2);

/** Points drawn in one step of the base layer: a few ms each. */
const POINTS_PER_STEP = 250;

/**
 * Points [from, to) in their classes' colours and markers. One point at a time, in the panel's
 * order: no class is always drawn over the others. Each is a copy of its class's sprite.
 */
function drawPoints(context: CanvasRenderingContext2D, frame: Frame, marks: Float32Array, labels: Uint8Array, from: number, to: number): void {
  const ratio = ratioOf(context);
  /** Each class's sprite, looked up once a call (null: the browser made none, so drawn as a path). */
  const sprites = new Map<number, Sprite | null>();
  const spriteOf = (label: number) => {
    let sprite = sprites.get(label);
    if (sprite === undefined) {
      const look = classLook(label);
      sprite = markerSprite(`scatter class ${label}`, ratio, SPRITE_HALF, (spriteContext, middle) => drawMarker(spriteContext, look, middle, middle));
      sprites.set(label, sprite);
    }
    return sprite;
  };
  context.save();
  clip(context, frame);
  context.setTransform(1, 0, 0, 1, 0, 0);
  for (let i = from; i < to; i++) {
    const [x, y] = [marks[2 * i], marks[2 * i + 1]];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const sprite = spriteOf(labels[i]);
    if (sprite) stamp(context, sprite, ratio, x, y);
    else {
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      drawMarker(context, classLook(labels[i]), x, y);
      context.setTransform(1, 0, 0, 1, 0, 0);
    }
  }
  context.restore();
}

/** A ring and four arms, dark on a white outline so it reads on any image and any marker. */
function drawReticle(context: CanvasRenderingContext2D, frame: Frame, x: number, y: number, ring: number, arm: number): void {
  context.save();
  clip(context, frame);
  context.beginPath();
  context.moveTo(x + ring, y);
  context.arc(x, y, ring, 0, 2 * Math.PI);
  for (const [dx, dy] of arm > 0 ? [[1, 0], [-1, 0], [0, 1], [0, -1]] : []) {
    context.moveTo(x + dx * ring, y + dy * ring);
    context.lineTo(x + dx * (ring + arm), y + dy * (ring + arm));
  }
  context.lineCap = 'round';
  context.strokeStyle = '#ffffff';
  context.lineWidth = 4.5;
  context.stroke();
  context.strokeStyle = INK;
  context.lineWidth = 2;
  context.stroke();
  context.restore();
}

const round = (value: number) => Number(value.toPrecision(2)).toString().replace('-', '\u2212');

function describe(panel: ScatterPanel, frame: Frame): string {
  const [x0, x1, y0, y1] = frame.view;
  const [across, up] = panel.axisLabels;
  const classes = panel.classNames.map((name, index) => `${name} (${classLook(index).marker.replace('-', ' ')})`).join(', ');
  const grid = panel.background && `${Math.ceil(panel.background.count / panel.background.columns)} x ${panel.background.columns}`;
  return (
    `${panel.title}: ${panel.labels.length} ${panel.pointName ?? 'point'}s, ${across} across from ${round(x0)} to ${round(x1)}, ` +
    `${up} up from ${round(y0)} to ${round(y1)}` +
    (classes ? `; each class in its own colour and marker: ${classes}` : '') +
    (grid ? `. Behind the points, the images the decoder makes of a ${grid} grid of the same plane` : '') +
    `. ${panel.caption}` +
    (panel.explorable ? ' Press or drag on the plot, or use the arrow keys (Shift for longer steps), to decode a point.' : '')
  );
}

export function ScatterPlot({ panel }: { panel: ScatterPanel }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const dragging = useRef(false);
  /** The hovered point, and the canvas's shown size over its drawn size then (it shrinks on narrow screens). */
  const [hover, setHover] = useState<{ index: number; shown: number }>();
  const explorer = useStore((state) => state.explorer);
  const cursor = panel.explorable ? explorer?.point : undefined;
  const frame = useMemo(() => makeFrame(panel.extent ?? squareExtent(panel.points), WIDTH), [panel]);
  /** Each point's position on the canvas, in CSS pixels. */
  const marks = useMemo(() => panel.points.map((value, i) => (i % 2 ? frame.y(value) : frame.x(value))), [panel, frame]);
  const hovered = hover && hover.index < panel.labels.length ? hover.index : undefined;
  const ink = useInk();

  /** The base layer copied to the canvas, the hover ring and the crosshair over it: cheap, so at once on every move. */
  const overlay = useRef<() => void>(() => {});
  // Everything but the crosshair and the hover ring, drawn once per panel (after the render, beside
  // other canvases) and then copied. In steps, each a task of its own where it must be: the decoded
  // images, the points a few hundred at a time, the axes, then the copy (as one drawing, with a
  // path a point, it took 40-95 ms of one task while a model trained on a 2-core machine).
  const base = useLayerInSteps(
    frame,
    () => [
      (context) => {
        if (panel.background && panel.extent) drawBackground(context, frame, panel.background, panel.extent, ink);
        else drawGrid(context, frame);
      },
      ...Array.from({ length: Math.ceil(panel.labels.length / POINTS_PER_STEP) }, (_, part): PlotStep => (context) => {
        const from = part * POINTS_PER_STEP;
        drawPoints(context, frame, marks, panel.labels, from, Math.min(panel.labels.length, from + POINTS_PER_STEP));
      }),
      (context) => drawAxes(context, frame, panel.axisLabels),
    ],
    () => overlay.current(),
    [panel, frame, marks, ink],
  );

  useEffect(() => {
    overlay.current = () => {
      const context = canvas.current && base.current && copyLayer(canvas.current, base.current);
      if (!context) return;
      if (hovered !== undefined) drawReticle(context, frame, marks[2 * hovered], marks[2 * hovered + 1], MARK_SIZE + 3, 0);
      if (cursor) drawReticle(context, frame, frame.x(cursor[0]), frame.y(cursor[1]), 7, 8);
    };
    // the last base drawn whole, under the latest rings (a newer one copies itself when drawn)
    overlay.current();
  }, [panel, frame, marks, hovered, cursor]);

  /** The pointer on the canvas, in the frame's CSS pixels, and how many of those one shown pixel is. */
  const onCanvas = (event: PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const scale = frame.width / rect.width;
    return { px: (event.clientX - rect.left) * scale, py: (event.clientY - rect.top) * scale, scale };
  };
  /** A plane point inside the view, so the crosshair never leaves the plot. */
  const inView = ([x, y]: [number, number]): [number, number] => {
    const [x0, x1, y0, y1] = frame.view;
    return [Math.min(x1, Math.max(x0, x)), Math.min(y1, Math.max(y0, y))];
  };
  const pointAt = (event: PointerEvent<HTMLCanvasElement>) => {
    const { px, py } = onCanvas(event);
    return inView(planeAt(frame, px, py));
  };
  const nearest = (event: PointerEvent<HTMLCanvasElement>) => {
    const { px, py, scale } = onCanvas(event);
    let [best, bestDistance] = [-1, (HOVER_REACH * scale) ** 2];
    for (let i = 0; i < panel.labels.length; i++) {
      const distance = (marks[2 * i] - px) ** 2 + (marks[2 * i + 1] - py) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [i, distance];
    }
    return best < 0 ? undefined : { index: best, shown: 1 / scale };
  };

  const handlers = {
    onPointerMove: (event: PointerEvent<HTMLCanvasElement>) => {
      if (dragging.current) {
        explore(pointAt(event));
        setHover(undefined);
      } else if (event.pointerType !== 'touch') {
        const next = nearest(event);
        setHover((previous) => (previous?.index === next?.index ? previous : next));
      }
    },
    onPointerLeave: () => setHover(undefined),
    ...(panel.explorable && {
      tabIndex: 0,
      onPointerDown: (event: PointerEvent<HTMLCanvasElement>) => {
        dragging.current = true;
        event.currentTarget.setPointerCapture(event.pointerId);
        setHover(undefined);
        explore(pointAt(event));
      },
      onPointerUp: () => {
        dragging.current = false;
      },
      onPointerCancel: () => {
        dragging.current = false;
      },
      onKeyDown: (event: KeyboardEvent<HTMLCanvasElement>) => {
        const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
        const move = moves[event.key];
        if (!move && event.key !== 'Enter') return;
        event.preventDefault();
        const [x0, x1, y0, y1] = frame.view;
        const from = cursor ?? [(x0 + x1) / 2, (y0 + y1) / 2];
        const [dx, dy] = move ?? [0, 0];
        const step = (x1 - x0) * KEY_STEP * (event.shiftKey ? 5 : 1);
        explore(inView([from[0] + dx * step, from[1] + dy * step]));
      },
    }),
  };

  const tip =
    hover === undefined || hovered === undefined
      ? undefined
      : {
          ...tipPlacement(marks[2 * hovered], marks[2 * hovered + 1], frame.width, hover.shown),
          text: `${panel.pointName ?? 'point'} ${hovered}: ${panel.classNames[panel.labels[hovered]] ?? panel.labels[hovered]}`,
        };

  return (
    <div className={panel.explorable ? 'scatter explorable' : 'scatter'}>
      <div className="scatter-row">
        <div className="scatter-plot">
          <canvas
            ref={canvas}
            className="plane-canvas scatter-canvas"
            style={{ width: frame.width, aspectRatio: `${frame.width} / ${frame.height}`, touchAction: panel.explorable ? 'none' : undefined }}
            role="img"
            aria-label={describe(panel, frame)}
            data-testid={`scatter-${panel.id}`}
            {...handlers}
          />
          {tip && (
            <div className={['scatter-tooltip', tip.flip && 'flip', tip.below && 'below'].filter(Boolean).join(' ')} style={{ left: tip.left, top: tip.top, maxWidth: tip.room }} aria-hidden="true">
              {tip.text}
            </div>
          )}
        </div>
        {panel.explorable && (
          <div className="decoded" aria-live="polite" data-testid="decoded-point">
            {explorer?.panel ? (
              <>
                <ImageGrid panel={explorer.panel} />
                <p className="help">
                  ({explorer.point[0].toFixed(2)}, {explorer.point[1].toFixed(2)})
                </p>
              </>
            ) : (
              <p className="help">Press or drag on the plot (or focus it and use the arrow keys) to decode any point.</p>
            )}
          </div>
        )}
      </div>
      <PlaneLegend items={panel.classNames.map((name, index) => ({ label: name, color: classLook(index).color, swatch: classLook(index).marker }))} />
    </div>
  );
}
