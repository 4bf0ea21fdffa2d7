/**
 * Markers drawn once as small images (sprites) and then copied, one per point: for points that
 * each take their own colour and white ring, in order (the latent scatter's). Without a GPU
 * (a software canvas, as on a laptop whose graphics the browser does not accelerate) a canvas
 * rasterizes on the page's main thread: in a scratch page there, a thousand such markers as
 * paths took 19-69 ms, as copies of an ImageBitmap 4-24 (four rounds each, three times).
 */

/** A marker drawn at a pixel ratio, and where its centre lies in it (device pixels). */
export interface Sprite {
  image: CanvasImageSource;
  centre: number;
}

type SpriteContext = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

const sprites = new Map<string, Sprite | null>();

/**
 * The sprite for `key` at `ratio`, made once by `draw` on a square `2 * half` CSS pixels wide,
 * centred at (centre, centre) in CSS pixels. An ImageBitmap where there is OffscreenCanvas;
 * null where a canvas has no 2-D context.
 */
export function markerSprite(key: string, ratio: number, half: number, draw: (context: SpriteContext, centre: number) => void): Sprite | null {
  const id = `${key} ${ratio} ${half}`;
  if (!sprites.has(id)) {
    const side = Math.ceil(2 * half * ratio);
    const offscreen = typeof OffscreenCanvas === 'undefined' ? undefined : new OffscreenCanvas(side, side);
    const canvas = offscreen ? undefined : Object.assign(document.createElement('canvas'), { width: side, height: side });
    const context = offscreen ? offscreen.getContext('2d') : canvas!.getContext('2d');
    if (context) {
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      draw(context, side / ratio / 2);
    }
    sprites.set(id, context && { image: offscreen ? offscreen.transferToImageBitmap() : canvas!, centre: side / 2 });
  }
  return sprites.get(id) ?? null;
}

/**
 * Copies `sprite` centred at (x, y) CSS pixels, on whole device pixels (within half a pixel
 * of the point, and no resampling). The context's transform must be the identity.
 */
export function stamp(context: CanvasRenderingContext2D, sprite: Sprite, ratio: number, x: number, y: number): void {
  context.drawImage(sprite.image, Math.round(x * ratio - sprite.centre), Math.round(y * ratio - sprite.centre));
}

/** The device pixels per CSS pixel a context was scaled by (prepareCanvas scales by the canvas's pixel ratio). */
export const ratioOf = (context: CanvasRenderingContext2D) => context.getTransform().a;
