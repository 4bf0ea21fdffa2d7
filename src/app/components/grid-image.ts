/** A sample grid as pixels, for a canvas or a saved PNG. */
import type { ImageGridPanel } from '../../core/views/panels';

/** White pixels between the images of a grid. */
export const GAP = 1;

/**
 * The panel's images as pixels, in a grid with `gap`-pixel white gaps (none: images that
 * tile a plane, as behind the latent scatter); grey ones inverted when `ink`.
 */
export function gridImage(panel: ImageGridPanel, gap = GAP, ink = true): ImageData {
  const { width, height, channels, columns, pixels, count } = panel;
  const rows = Math.ceil(count / columns);
  const image = new ImageData(columns * (width + gap) - gap, rows * (height + gap) - gap);
  // One 32-bit write per pixel, in the platform's byte order (RGBA in memory).
  const words = new Uint32Array(image.data.buffer);
  const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  const rgba = (r: number, g: number, b: number) => (littleEndian ? (0xff000000 | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 0xff) >>> 0);
  words.fill(rgba(255, 255, 255));
  // Dark ink on a light page reads better on a projector than white on black. A layout we
  // do not know shows its first channel as plain grey, rather than nothing.
  const greys = Uint32Array.from({ length: 256 }, (_, value) => {
    const grey = channels === 1 && ink ? 255 - value : value;
    return rgba(grey, grey, grey);
  });
  for (let n = 0; n < count; n++) {
    const left = (n % columns) * (width + gap);
    const top = Math.floor(n / columns) * (height + gap);
    for (let y = 0; y < height; y++) {
      let source = (n * height + y) * width * channels;
      let target = (top + y) * image.width + left;
      for (let x = 0; x < width; x++, source += channels, target++) {
        if (channels === 3 || channels === 4) {
          // RGBA over the white page, baked in: transparent parts look like the page, and the
          // saved PNG looks the same as the screen.
          const alpha = channels === 4 ? pixels[source + 3] / 255 : 1;
          const over = (c: number) => Math.round(alpha * pixels[source + c] + (1 - alpha) * 255);
          words[target] = rgba(over(0), over(1), over(2));
        } else {
          words[target] = greys[pixels[source]];
        }
      }
    }
  }
  return image;
}
