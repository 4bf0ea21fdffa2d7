/**
 * Two or more kept runs side by side: one term's smoothed curve for each on one chart,
 * their samples next to each other, and their figures in a table that sorts by any column
 * and downloads as CSV. The seed's blurry VAE beside a sharp GAN is one click here.
 */
import { useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { comparisonColumns, comparisonRows, sortRows, toCsv } from '../history/comparison';
import type { RunRecord } from '../history/run-records';
import { SERIES_COLORS } from '../palette';
import { smoothedKey, thinned } from '../series';
import { format, reading } from './Charts';
import { download, figureLabel } from './RunHistory';

/** The terms every chosen run trained with, most common first: what one chart can compare. */
function sharedTerms(runs: readonly RunRecord[]): string[] {
  const counts = new Map<string, number>();
  for (const run of runs) {
    const keys = new Set(run.train.flatMap((point) => Object.keys(point).filter((key) => key !== 'step' && !key.endsWith(smoothedKey('')))));
    keys.forEach((key) => counts.set(key, (counts.get(key) ?? 0) + 1));
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([key]) => key);
}

export function RunComparison({ runs, onBack }: { runs: readonly RunRecord[]; onBack: () => void }) {
  const terms = useMemo(() => sharedTerms(runs), [runs]);
  const [term, setTerm] = useState(terms[0] ?? 'loss');
  const [sort, setSort] = useState<{ key: string; direction: 'ascending' | 'descending' }>({ key: 'step', direction: 'descending' });
  const models = useMemo(() => [...new Set(runs.map((run) => run.config.model))], [runs]);
  const columns = useMemo(() => comparisonColumns(runs, (key) => figureLabel(key, models)), [runs, models]);
  const rows = useMemo(() => sortRows(comparisonRows(runs), sort.key, sort.direction), [runs, sort]);

  return (
    <div className="run-comparison" data-testid="run-comparison">
      <button type="button" onClick={onBack}>
        ← Back to the list
      </button>
      <section aria-label="Curves">
        <label className="comparison-term">
          Curve{' '}
          <select value={term} onChange={(event) => setTerm(event.target.value)}>
            {terms.map((key) => (
              <option key={key} value={key}>
                {figureLabel(key, models)}
              </option>
            ))}
          </select>
        </label>
        <div className="comparison-chart">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }} accessibilityLayer={false}>
              <CartesianGrid stroke="#e3e8ee" />
              <XAxis dataKey="step" type="number" domain={[0, 'dataMax']} tickFormatter={format} allowDuplicatedCategory={false} />
              <YAxis domain={['auto', 'auto']} tickFormatter={format} width={56} />
              <Tooltip formatter={(value) => reading(Number(value))} labelFormatter={(step) => `step ${format(Number(step))}`} />
              <Legend verticalAlign="top" />
              {runs.map((run, index) => (
                <Line
                  key={run.key}
                  data={thinned(run.train.filter((point) => smoothedKey(term) in point))}
                  dataKey={smoothedKey(term)}
                  name={run.name}
                  stroke={SERIES_COLORS[index % SERIES_COLORS.length]}
                  dot={false}
                  isAnimationActive={false}
                  strokeWidth={2.5}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      </section>
      <section aria-label="Samples" className="comparison-samples">
        {runs.map((run) => (
          <figure key={run.key}>
            {run.thumbnail ? <img src={run.thumbnail} alt={`Samples of ${run.name}`} width={120} height={120} /> : <span className="thumbnail-missing">no samples</span>}
            <figcaption>
              {run.name}, step {run.step.toLocaleString('en-US')}
            </figcaption>
          </figure>
        ))}
      </section>
      <section aria-label="Figures">
        <div className="comparison-table-wrap">
          <table className="comparison-table" data-testid="comparison-table">
            <thead>
              <tr>
                {columns.map((column) => (
                  <th key={column.key} aria-sort={sort.key === column.key ? sort.direction : 'none'}>
                    <button type="button" onClick={() => setSort({ key: column.key, direction: sort.key === column.key && sort.direction === 'ascending' ? 'descending' : 'ascending' })}>
                      {column.label}
                      {sort.key === column.key ? (sort.direction === 'ascending' ? ' ▲' : ' ▼') : ''}
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={String(row.key)}>
                  {columns.map((column) => {
                    const value = row[column.key];
                    return <td key={column.key}>{value === undefined ? '—' : typeof value === 'number' ? reading(value) : value}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <button type="button" onClick={() => download('runs.csv', toCsv(columns, rows), 'text/csv')} data-testid="download-csv">
          Download as CSV
        </button>
      </section>
    </div>
  );
}
