// Colored MNIST: each MNIST digit painted in a foreground colour on a background colour,
// both drawn at random per image from a seeded source, so the build is the same on every
// machine and the tests can recompute any image from the MNIST bytes.
import { mulberry32 } from './random.mjs';

export const COLORED_MNIST_SEEDS = { train: 20261201, test: 20261202 };
/**
 * Pairs whose luma (0..255) differs by less than this are drawn again: a digit in a
 * colour close to its background's brightness is hard to see, for people and for models.
 * About a fifth of uniform pairs pass, so the loop stays short.
 */
export const MIN_LUMA_GAP = 100;

/** Rec. 709 luma of gamma-encoded RGB, 0..255: how bright a colour looks. */
export function luma([red, green, blue]) {
  return 0.2126 * red + 0.7152 * green + 0.0722 * blue;
}

/** One (foreground, background) pair a digit, [count * 6] bytes: fg r, g, b, then bg r, g, b. */
export function colourPairs(count, seed) {
  const random = mulberry32(seed);
  const channel = () => Math.floor(random() * 256);
  const pairs = new Uint8Array(count * 6);
  for (let index = 0; index < count; index++) {
    let foreground;
    let background;
    do {
      foreground = [channel(), channel(), channel()];
      background = [channel(), channel(), channel()];
    } while (Math.abs(luma(foreground) - luma(background)) < MIN_LUMA_GAP);
    pairs.set([...foreground, ...background], index * 6);
  }
  return pairs;
}

/**
 * Grey digits [count, 28, 28] -> colour [count, 28, 28, 3]: the grey level a = x / 255 is
 * how much of the stroke covers the pixel, so pixel = bg * (1 - a) + fg * a.
 */
export function colourise(grey, pairs, pixelsPerImage = 784) {
  const count = grey.length / pixelsPerImage;
  const colour = new Uint8Array(grey.length * 3);
  for (let index = 0; index < count; index++) {
    const pair = pairs.subarray(index * 6, index * 6 + 6);
    for (let pixel = 0; pixel < pixelsPerImage; pixel++) {
      const a = grey[index * pixelsPerImage + pixel] / 255;
      const target = (index * pixelsPerImage + pixel) * 3;
      for (let c = 0; c < 3; c++) colour[target + c] = Math.round(pair[3 + c] * (1 - a) + pair[c] * a);
    }
  }
  return colour;
}
