import type { Split } from './catalog';

/** What every dataset answers about its fixed splits: their sizes and a fixed held-out subset. */
export abstract class Splits {
  abstract readonly spec: { readonly counts: Readonly<Record<Split, number>> };

  count(split: Split): number {
    return this.spec.counts[split];
  }

  /** The first `size` indices of a split: a fixed subset, the same at every evaluation. */
  firstIndices(size: number, split: Split = 'test'): number[] {
    return Array.from({ length: Math.min(size, this.count(split)) }, (_, index) => index);
  }
}
