/**
 * The benchmark's table (src/cli/bench-tables.ts): GFLOP/s from each step's FLOPs and time,
 * and "of peak", the share of the machine's matrix-product peak for the row's backend.
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../src/cli/bench-options';
import { profileTable, table } from '../../src/cli/bench-tables';

/** The cells of the table's data lines (after its header and rule), split on runs of 2+ spaces. */
const cells = (text: string) => text.split('\n').slice(2).map((line) => line.trim().split(/\s{2,}/));

describe('the benchmark table', () => {
  const rows: Row[] = [
    { model: 'pixelcnn', where: 'node', backend: 'wasm', msPerStep: 500, imagesPerSecond: 128, gflopPerStep: 13.5, readsPerStep: 0, vsPyTorch: 2, note: '1 thread' },
    { model: 'pixelcnn', where: 'pytorch', backend: 'cpu', msPerStep: 250, gflopPerStep: 13.5, note: '' },
    { model: 'pixelcnn', where: 'browser', backend: 'webgpu', msPerStep: 100, note: '' },
  ];
  const peaks: Record<string, number> = { wasm: 54, cpu: 135 };
  const printed = cells(table(rows, () => 13.5, (row) => peaks[row.backend]));

  it('gives GFLOP/s as FLOPs per step over seconds per step, and the share of the backend\'s peak', () => {
    // 13.5 GFLOP in 0.5 s: 27 GFLOP/s, half of 54
    expect(printed[0].slice(3, 10)).toEqual(['500.0', '128', '13.50', '27.0', '50%', '0', '2.00x']);
    // 13.5 GFLOP in 0.25 s: 54 GFLOP/s, 40% of 135
    expect(printed[1].slice(5, 8)).toEqual(['13.50', '54.0', '40%']);
  });

  it('takes a browser row\'s FLOPs from the model and leaves its share blank without a peak', () => {
    // 13.5 GFLOP in 0.1 s
    expect(printed[2].slice(5, 8)).toEqual(['13.50', '135.0', '-']);
  });

  it('lists a profile\'s kernels with their share of the step, names with shapes in a column as wide as the longest', () => {
    const kernels = [
      { name: 'GpSwishInputGradient [64,4,4,64] [3,3,32,64] [64,7,7,32] [64,7,7,32]', selfMs: 7.5, calls: 12, flops: 0.4e9 },
      { name: 'GpSwish [64,7,7,32]', selfMs: 2.5, calls: 12, flops: 0 },
    ];
    const lines = profileTable({ model: 'ebm', msPerStep: 11, kernels }).split('\n');
    expect(lines[0]).toBe('ebm: 11.0 ms/step traced (tracing adds a little), kernels 10.0 ms');
    // the numbers start in one column under the header's
    const column = lines[1].indexOf('ms/step');
    expect(lines.slice(2).map((line) => line.slice(column - 1).trim().split(/\s+/))).toEqual([['7.5', '75%', '12', '0.400'], ['2.5', '25%', '12', '-']]);
  });
});
