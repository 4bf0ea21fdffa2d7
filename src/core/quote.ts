/**
 * Every echo of a person's text (a link's value, a typed setting, a command-line
 * argument) goes through `quote`: a message can then never carry a long story, a fake
 * sign-in address across the page, right-to-left overrides or control characters.
 */

/** Most characters of a person's text a message repeats. */
export const QUOTE_LIMIT = 40;

/**
 * The text in double quotes, printable ASCII only (anything else, controls, bidirectional
 * overrides and look-alike letters included, becomes "?"), cut at `limit` characters.
 */
export function quote(text: unknown, limit = QUOTE_LIMIT): string {
  const printable = String(text).replace(/[^\x20-\x7e]/g, '?');
  return `"${printable.length > limit ? `${printable.slice(0, limit)}…` : printable}"`;
}

/** Edits between two short strings: insertions, deletions, substitutions and swaps of neighbours ("vea" is one from "vae"). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The candidate a mistyped id most likely meant, if one is close: one edit away, two for ids of six letters or more. */
export function nearest(text: string, candidates: readonly string[]): string | undefined {
  const lower = text.toLowerCase().slice(0, 64);
  let best: { id: string; score: number } | undefined;
  for (const id of candidates) {
    const score = distance(lower, id);
    if (score > 0 && score <= (id.length >= 6 ? 2 : 1) && (!best || score < best.score)) best = { id, score };
  }
  return best?.id;
}

/** " (did you mean vae?)", or nothing. */
export function didYouMean(text: string, candidates: readonly string[]): string {
  const guess = nearest(text, candidates);
  return guess ? ` (did you mean ${guess}?)` : '';
}
