/** Training loss (raw and smoothed) and the held-out loss, against steps. */
import { useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useStore } from '../store';

const format = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(3));

export function LossChart() {
  const train = useStore((state) => state.train);
  const test = useStore((state) => state.test);
  const [logScale, setLogScale] = useState(false);
  const lastTrain = train[train.length - 1];
  const lastTest = test[test.length - 1];
  const summary =
    lastTrain || lastTest
      ? `At step ${lastTrain?.step ?? lastTest?.step}: training loss ${lastTrain ? format(lastTrain.smoothed) : 'n/a'} (smoothed)` +
        `${lastTest ? `, held-out loss ${format(lastTest.loss)} at step ${lastTest.step}` : ''}.`
      : 'No losses yet: press Train.';

  return (
    <figure className="card chart" aria-labelledby="loss-heading">
      <div className="chart-header">
        <h2 id="loss-heading">Loss</h2>
        <label className="toggle">
          <input type="checkbox" checked={logScale} onChange={(event) => setLogScale(event.target.checked)} /> log scale
        </label>
      </div>
      <div className="chart-area" data-testid="loss-chart" data-points={train.length}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#d5dbe3" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDuplicatedCategory={false} tickFormatter={(v) => String(v)} />
            <YAxis
              scale={logScale ? 'log' : 'auto'}
              domain={logScale ? ['auto', 'auto'] : [0, 'auto']}
              allowDataOverflow={false}
              tickFormatter={format}
              width={56}
            />
            <Tooltip formatter={(value) => format(Number(value))} labelFormatter={(step) => `step ${step}`} />
            <Legend />
            <Line data={train} dataKey="loss" name="train" stroke="#9fb3c8" dot={false} isAnimationActive={false} strokeWidth={1} />
            <Line data={train} dataKey="smoothed" name="train (smoothed)" stroke="#1d4e89" dot={false} isAnimationActive={false} strokeWidth={2} />
            <Line data={test} dataKey="loss" name="held-out" stroke="#d1495b" dot={{ r: 2 }} isAnimationActive={false} strokeWidth={2} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption data-testid="loss-summary">{summary}</figcaption>
    </figure>
  );
}
