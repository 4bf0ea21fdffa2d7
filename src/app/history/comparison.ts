/**
 * The comparison of kept runs as a table: one row per run, a column per figure any of
 * them has (held-out losses, sample-quality metrics), sortable by any column, and as CSV
 * for a spreadsheet. Pure, so it is tested in Node.
 */
import type { RunRecord } from './run-records';

export interface ComparisonColumn {
  key: string;
  label: string;
  numeric: boolean;
}

export type ComparisonRow = Record<string, string | number | undefined>;

const FIXED: ComparisonColumn[] = [
  { key: 'name', label: 'run', numeric: false },
  { key: 'model', label: 'model', numeric: false },
  { key: 'dataset', label: 'dataset', numeric: false },
  { key: 'step', label: 'steps', numeric: true },
];

/** The columns for these runs: who they are, then every figure any of them has, in the order first seen. */
export function comparisonColumns(runs: readonly RunRecord[], labelOf: (key: string) => string = (key) => key): ComparisonColumn[] {
  const figures = [...new Set(runs.flatMap((run) => Object.keys(run.heldOut)))];
  return [...FIXED, ...figures.map((key) => ({ key, label: labelOf(key), numeric: true }))];
}

export function comparisonRows(runs: readonly RunRecord[]): ComparisonRow[] {
  return runs.map((run) => ({
    key: run.key,
    name: run.name,
    model: run.config.model,
    dataset: run.config.dataset,
    step: run.step,
    ...Object.fromEntries(Object.entries(run.heldOut).map(([key, figure]) => [key, figure.value])),
  }));
}

/** Sorted by one column; runs without that figure go last whichever the direction. */
export function sortRows(rows: readonly ComparisonRow[], key: string, direction: 'ascending' | 'descending'): ComparisonRow[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const [x, y] = [a[key], b[key]];
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    return sign * String(x).localeCompare(String(y));
  });
}

/** RFC 4180 CSV: a header of the column labels, then a line per row; empty where a run lacks a figure. */
export function toCsv(columns: readonly ComparisonColumn[], rows: readonly ComparisonRow[]): string {
  const cell = (value: string | number | undefined) => {
    if (value === undefined) return '';
    const text = String(value);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns.map((column) => cell(column.label)), ...rows.map((row) => columns.map((column) => cell(row[column.key])))].map((line) => line.join(',')).join('\r\n') + '\r\n';
}
