/** The benchmark's tables, as printed. */
import { PROFILE_TOP, type ProfileRow, type Row, type SamplingRow } from './bench-options';

/** A header, a rule and the rows, in columns as wide as their widest cell: text to the left, and from column `firstNumber` on, numbers to the right. */
export function alignedTable(header: string[], body: string[][], firstNumber: number): string {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((line) => line[c].length)));
  const format = (line: string[]) => line.map((cell, c) => (c >= firstNumber ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(format)].join('\n');
}

export function samplingTable(rows: SamplingRow[]): string {
  const header = ['model', 'data', 'sampler', 'samples', 'seconds', 'samples/s'];
  return alignedTable(header, rows.map((r) => [r.model, r.dataset, r.method, String(r.samples), r.seconds.toFixed(1), r.samplesPerSecond.toFixed(2)]), 3);
}

/**
 * The rows; `gflopOf` gives a model's FLOPs per step where its row has none (browser rows),
 * and `peakOf` the GFLOP/s the machine allows a row's backend (the matrix-product peaks the
 * header prints), from which "of peak" is the share a step reaches.
 */
export function table(rows: Row[], gflopOf: (model: string) => number | undefined, peakOf: (row: Row) => number | undefined = () => undefined): string {
  const fixed = (value: number | undefined, digits: number) => (value === undefined ? '-' : value.toFixed(digits));
  const header = ['model', 'where', 'backend', 'ms/step', 'images/s', 'GFLOP', 'GFLOP/s', 'of peak', 'reads', 'vs PyTorch', 'note'];
  const body = rows.map((r) => {
    const gflop = r.gflopPerStep ?? gflopOf(r.model);
    const rate = gflop !== undefined && r.msPerStep ? (gflop * 1000) / r.msPerStep : undefined;
    const peak = peakOf(r);
    const share = rate !== undefined && peak ? `${((100 * rate) / peak).toFixed(0)}%` : '-';
    return [r.model, r.where, r.backend, fixed(r.msPerStep, 1), fixed(r.imagesPerSecond, 0), fixed(gflop, 2), fixed(rate, 1), share, fixed(r.readsPerStep, 0), r.vsPyTorch ? `${r.vsPyTorch.toFixed(2)}x` : '-', r.note];
  });
  const last = header.length - 1;
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((line) => line[c].length)));
  const format = (line: string[]) => line.map((cell, c) => (c >= 3 && c < last ? cell.padStart(widths[c]) : c === last ? cell : cell.padEnd(widths[c]))).join('  ');
  return [format(header), widths.map((w, c) => (c === last ? '-'.repeat(Math.min(w, 40)) : '-'.repeat(w))).join('  '), ...body.map(format)].join('\n');
}

export function profileTable(profile: ProfileRow): string {
  const total = profile.kernels.reduce((sum, k) => sum + k.selfMs, 0);
  const shown = profile.kernels.slice(0, PROFILE_TOP);
  // names with their inputs' shapes (--by-shape) are longer
  const width = Math.max(28, ...shown.map((k) => k.name.length));
  const lines = shown.map((k) =>
    [k.name.padEnd(width), k.selfMs.toFixed(1).padStart(8), `${((100 * k.selfMs) / total).toFixed(0)}%`.padStart(5), k.calls.toFixed(0).padStart(6), k.flops ? (k.flops * 1e-9).toFixed(3).padStart(6) : '-'.padStart(6)].join('  '),
  );
  const header = ['kernel'.padEnd(width), 'ms/step'.padStart(8), 'share'.padStart(5), 'calls'.padStart(6), 'GFLOP'.padStart(6)].join('  ');
  return [`${profile.model}: ${profile.msPerStep.toFixed(1)} ms/step traced (tracing adds a little), kernels ${total.toFixed(1)} ms`, header, ...lines].join('\n');
}
