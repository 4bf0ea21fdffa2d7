/** Renders whatever views the model sent, by kind: the page never names a model. */
import { useStore } from '../store';
import { BarChart } from './BarChart';
import { downloadGrid, ImageGrid } from './ImageGrid';
import { LatentSliders } from './LatentSliders';
import { ScatterPlot } from './ScatterPlot';

export function Panels() {
  const panels = useStore((state) => state.panels);
  const step = useStore((state) => state.panelsStep);
  const runState = useStore((state) => state.runState);
  const { model, dataset } = useStore((state) => state.config);
  if (panels.length === 0) {
    return <p className="card placeholder">{runState === 'loading' ? 'Loading the dataset and the model…' : 'Views appear here.'}</p>;
  }
  return (
    <>
      {panels.map((panel) => (
        <figure key={panel.id} className="card panel" aria-labelledby={`panel-${panel.id}`} data-step={step}>
          <div className="panel-header">
            <h2 id={`panel-${panel.id}`}>
              {panel.title} <span className="panel-step">at step {step.toLocaleString('en-US')}</span>
            </h2>
            {panel.kind === 'image-grid' && (
              <button
                type="button"
                className="save-image"
                aria-label={`Save "${panel.title}" as a PNG image`}
                onClick={() => downloadGrid(panel, `${model}-${dataset}-${panel.id}-step${step}.png`)}
              >
                Save PNG
              </button>
            )}
          </div>
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
