export const COLORED_MNIST_SEEDS: { readonly train: number; readonly test: number };
export const MIN_LUMA_GAP: number;
export function luma(rgb: ArrayLike<number>): number;
export function colourPairs(count: number, seed: number): Uint8Array;
export function colourise(grey: Uint8Array, pairs: Uint8Array, pixelsPerImage?: number): Uint8Array;
