// Emoji: Google's Noto Emoji, cut from the sprite sheets of the npm package
// emoji-datasource-google and laid on a plain background.
//
// The "clean" sheets hold only Google's own images (the other sheets fill gaps with other
// vendors' emoji, under other terms). Every cell is size + 2 pixels a side: a 1-pixel
// transparent border around each image (the package README, "Understanding the spritesheets").
import { mulberry32, shuffle } from './random.mjs';

/** The package's categories, in its own order (categories.json): label k is the k-th. */
export const EMOJI_CATEGORIES = [
  'Smileys & Emotion',
  'People & Body',
  'Component',
  'Animals & Nature',
  'Food & Drink',
  'Travel & Places',
  'Activities',
  'Objects',
  'Symbols',
  'Flags',
];

/** White: emoji are drawn to sit on a light page, and their dark outlines need one. */
export const EMOJI_BACKGROUND = [255, 255, 255];
/** Share of each category's emoji held out for testing. */
export const EMOJI_TEST_SHARE = 0.1;
export const EMOJI_SPLIT_SEED = 20241001; // Emoji 16.0's release month

/**
 * One entry per image: every emoji and each of its skin-tone variations. `group` is the
 * base emoji, so that its variations fall on the same side of the split (a test image
 * should not be a recoloured training image).
 */
export function emojiImages(emojiJson) {
  const images = [];
  emojiJson.forEach((emoji, group) => {
    const label = EMOJI_CATEGORIES.indexOf(emoji.category);
    if (label < 0) throw new Error(`emoji ${emoji.short_name}: unknown category ${emoji.category}`);
    const variants = [emoji, ...Object.values(emoji.skin_variations ?? {})];
    for (const variant of variants) {
      if (variant.has_img_google) images.push({ name: variant.image, sheetX: variant.sheet_x, sheetY: variant.sheet_y, label, group });
    }
  });
  return images;
}

/**
 * The image at (sheetX, sheetY) of a decoded RGBA sheet, composited onto `background`:
 * [size, size, 3] bytes. PNG colour is not premultiplied, so out = a * rgb + (1 - a) * bg.
 */
export function cutAndComposite(sheet, size, sheetX, sheetY, background = EMOJI_BACKGROUND) {
  const left = sheetX * (size + 2) + 1;
  const top = sheetY * (size + 2) + 1;
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const source = ((top + y) * sheet.width + left + x) * 4;
      const a = sheet.data[source + 3] / 255;
      const target = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) out[target + c] = Math.round(a * sheet.data[source + c] + (1 - a) * background[c]);
    }
  }
  return out;
}

/**
 * The fixed split: within each category, a seeded shuffle of its base emoji, and the first
 * EMOJI_TEST_SHARE of them (at least one) with all their variations go to test. Each split
 * is then shuffled, so its first images (the ones the views show) mix the categories.
 * Returns the images of each split, in order.
 */
export function splitEmoji(images, seed = EMOJI_SPLIT_SEED) {
  const random = mulberry32(seed);
  const testGroups = new Set();
  EMOJI_CATEGORIES.forEach((_, label) => {
    const groups = [...new Set(images.filter((image) => image.label === label).map((image) => image.group))];
    const held = Math.max(1, Math.round(groups.length * EMOJI_TEST_SHARE));
    for (const group of shuffle(groups, random).slice(0, held)) testGroups.add(group);
  });
  return {
    train: shuffle(images.filter((image) => !testGroups.has(image.group)), random),
    test: shuffle(images.filter((image) => testGroups.has(image.group)), random),
  };
}

/**
 * Both sizes hold the same emoji in the same split, chosen here from the package's
 * emoji.json and categories.json and its decoded 32-pixel sheet. Some emoji share one
 * picture (regions drawn with their country's flag): only the first of each 32-pixel
 * picture is kept, so no picture is in both splits.
 */
export function emojiSplitOf(emojiJson, categoryNames, sheet32) {
  if (categoryNames.join('|') !== EMOJI_CATEGORIES.join('|')) throw new Error(`emoji categories changed: ${categoryNames.join(', ')}`);
  const seen = new Set();
  const unique = emojiImages(emojiJson).filter((image) => {
    const key = Buffer.from(cutAndComposite(sheet32, 32, image.sheetX, image.sheetY)).toString('base64');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return splitEmoji(unique);
}
