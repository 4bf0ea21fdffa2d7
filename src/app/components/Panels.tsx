/** Renders whatever views the model sent, by kind: the page never names a model. */
import { useStore } from '../store';
import { BarChart } from './BarChart';
import { ImageGrid } from './ImageGrid';
import { LatentSliders } from './LatentSliders';
import { ScatterPlot } from './ScatterPlot';

export function Panels() {
  const panels = useStore((state) => state.panels);
  const step = useStore((state) => state.panelsStep);
  const runState = useStore((state) => state.runState);
  if (panels.length === 0) {
    return <p className="card placeholder">{runState === 'loading' ? 'Loading the dataset and the model…' : 'Views appear here.'}</p>;
  }
  return (
    <>
      {panels.map((panel) => (
        <figure key={panel.id} className="card panel" aria-labelledby={`panel-${panel.id}`} data-step={step}>
          <h2 id={`panel-${panel.id}`}>
            {panel.title} <span className="panel-step">at step {step.toLocaleString('en-US')}</span>
          </h2>
          {panel.kind === 'image-grid' ? (
            <ImageGrid panel={panel} />
          ) : panel.kind === 'scatter' ? (
            <ScatterPlot panel={panel} />
          ) : panel.kind === 'sliders' ? (
            <LatentSliders panel={panel} />
          ) : (
            <BarChart panel={panel} />
          )}
          <figcaption>{panel.caption}</figcaption>
        </figure>
      ))}
    </>
  );
}
