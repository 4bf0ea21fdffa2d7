/**
 * Markers drawn once as small images (sprites) and then copied, one per point: for points that
 * each take their own colour and white ring, in order (the latent scatter's). Without a GPU
 * (a software canvas, as on a laptop whose graphics the browser does not accelerate) a canvas
 * rasterizes on the page's main thread: in a scratch page there, a thousand such markers as
 * paths took 19-69 ms, as copies of an ImageBitmap 4-24 (four rounds each, three times).
 */

/** A marker drawn at a pixel ratio, and where its centre lies in it, in device pixels from its corner. */
export interface Sprite {
  image: CanvasImageSource;
  centre: number;
}

type SpriteContext = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Sprites by id; null where the browser gave no 2-D context (not asked again for each point). */
const sprites = new Map<string, Sprite | null>();

/** A square canvas `side` device pixels wide and its 2-D context: an OffscreenCanvas where the browser draws on one. */
function spriteCanvas(side: number): { context: SpriteContext; image: () => CanvasImageSource } | null {
  const offscreen = typeof OffscreenCanvas === 'undefined' ? null : new OffscreenCanvas(side, side);
  const offscreenContext = offscreen?.getContext('2d');
  if (offscreen && offscreenContext) return { context: offscreenContext, image: () => offscreen.transferToImageBitmap() };
  const canvas = Object.assign(document.createElement('canvas'), { width: side, height: side });
  const context = canvas.getContext('2d');
  return context && { context, image: () => canvas };
}

/**
 * The sprite named `key` (one name, one drawing: callers prefix theirs) at `ratio`, made once
 * by `draw` on a square `2 * half` CSS pixels wide whose middle is at (middle, middle) CSS
 * pixels; null where the browser gives no 2-D context (the caller draws the marker itself).
 */
export function markerSprite(key: string, ratio: number, half: number, draw: (context: SpriteContext, middle: number) => void): Sprite | null {
  const id = `${key} ${ratio} ${half}`;
  const kept = sprites.get(id);
  if (kept !== undefined) return kept;
  const side = Math.ceil(2 * half * ratio);
  const made = spriteCanvas(side);
  if (!made) {
    sprites.set(id, null);
    return null;
  }
  made.context.setTransform(ratio, 0, 0, ratio, 0, 0);
  draw(made.context, side / ratio / 2);
  const sprite = { image: made.image(), centre: side / 2 };
  sprites.set(id, sprite);
  return sprite;
}

/**
 * Copies `sprite` centred at (x, y) CSS pixels, on whole device pixels (within half a pixel
 * of the point, and no resampling). The context's transform must be the identity.
 */
export function stamp(context: CanvasRenderingContext2D, sprite: Sprite, ratio: number, x: number, y: number): void {
  context.drawImage(sprite.image, Math.round(x * ratio - sprite.centre), Math.round(y * ratio - sprite.centre));
}
