export interface EmojiImage {
  name: string;
  sheetX: number;
  sheetY: number;
  label: number;
  group: number;
}
/** A decoded RGBA sheet, as pngjs gives it. */
export interface RgbaSheet {
  width: number;
  data: Uint8Array;
}
export const EMOJI_CATEGORIES: readonly string[];
export const EMOJI_BACKGROUND: readonly [number, number, number];
export const EMOJI_TEST_SHARE: number;
export const EMOJI_SPLIT_SEED: number;
export function emojiImages(emojiJson: readonly unknown[]): EmojiImage[];
export function cutAndComposite(sheet: RgbaSheet, size: number, sheetX: number, sheetY: number, background?: readonly number[]): Uint8Array;
export function splitEmoji(images: readonly EmojiImage[], seed?: number): { train: EmojiImage[]; test: EmojiImage[] };
export function emojiSplitOf(emojiJson: readonly unknown[], categoryNames: readonly string[], sheet32: RgbaSheet): { train: EmojiImage[]; test: EmojiImage[] };
