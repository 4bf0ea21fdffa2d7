/** Renders whatever views the model sent, by kind: the page never names a model. */
import { memo, useDeferredValue, type JSX } from 'react';
import type { PanelGroup, ViewPanel } from '../../core/views/panels';
import { useStore } from '../store';
import { frameAt } from '../view-history';
import { BarChart } from './BarChart';
import { FieldPlot } from './FieldPlot';
import { Histogram } from './Histogram';
import { downloadGrid, ImageGrid, useInk } from './ImageGrid';
import { LatentSliders } from './LatentSliders';
import { PointsPlot } from './PointsPlot';
import { ScatterPlot } from './ScatterPlot';

type PanelComponent<P extends ViewPanel = ViewPanel> = (props: { panel: P }) => JSX.Element;

/** One entry per kind: a kind added to ViewPanel without a component here does not compile. */
type PanelComponents = { [K in ViewPanel['kind']]: PanelComponent<Extract<ViewPanel, { kind: K }>> };

export const PANEL_COMPONENTS: PanelComponents = {
  'image-grid': ImageGrid,
  scatter: ScatterPlot,
  bars: BarChart,
  sliders: LatentSliders,
  points: PointsPlot,
  field: FieldPlot,
  histogram: Histogram,
  group: GroupOfPanels,
};

/** Panels side by side, each under its own title and over its own caption: one frame of a film. */
function GroupOfPanels({ panel }: { panel: PanelGroup }) {
  return (
    <div className="panel-group">
      {panel.panels.map((part) => (
        <section key={part.id} className="panel-group-part" aria-label={part.title} data-panel={part.id}>
          <h3>{part.title}</h3>
          <PanelBody panel={part} />
          <p className="help">{part.caption}</p>
        </section>
      ))}
    </div>
  );
}

/**
 * The component for a kind, or undefined for one this page does not know (a newer worker,
 * a bug). `kind` is a plain string because the message came from another thread.
 */
export function componentFor(kind: string): PanelComponent | undefined {
  // Own keys only: "constructor" or "toString" must not find Object.prototype's.
  if (!Object.prototype.hasOwnProperty.call(PANEL_COMPONENTS, kind)) return undefined;
  // Each entry takes exactly the panels of its key's kind, which is what it is given below.
  return PANEL_COMPONENTS[kind as ViewPanel['kind']] as PanelComponent;
}

export function PanelBody({ panel }: { panel: ViewPanel }) {
  const Component = componentFor(panel.kind);
  if (!Component) {
    // A visible refusal beats a wrong chart drawn from data meant for another.
    return (
      <p className="unknown-panel" role="status" data-testid="unknown-panel">
        This view (kind "{String(panel.kind)}") cannot be shown by this version of the page.
      </p>
    );
  }
  return <Component panel={panel} />;
}

const PanelCard = memo(function PanelCard({ panel, step, lead = false }: { panel: ViewPanel; step: number; lead?: boolean }) {
  const { model, dataset } = useStore((state) => state.config);
  const ink = useInk();
  return (
    <figure className={lead ? 'card panel lead-panel' : 'card panel'} aria-labelledby={`panel-${panel.id}`} data-step={step} data-panel={panel.id}>
      <div className="panel-header">
        <h2 id={`panel-${panel.id}`}>
          {panel.title} <span className="panel-step">at step {step.toLocaleString('en-US')}</span>
        </h2>
        {panel.kind === 'image-grid' && (
          <button
            type="button"
            className="save-image"
            aria-label={`Save "${panel.title}" as a PNG image`}
            onClick={() => downloadGrid(panel, `${model}-${dataset}-${panel.id}-step${step}.png`, ink)}
          >
            Save PNG
          </button>
        )}
      </div>
      <PanelBody panel={panel} />
      <figcaption>{panel.caption}</figcaption>
    </figure>
  );
});

/**
 * The views to draw: the live ones, or those of the step the replay slider is on. Deferred:
 * new views render in slices that give way to the page between them (React's deferred
 * render), where as one render, with their first canvases and SVG, they took 50-70 ms of a
 * task on a 2-core machine while a model trained. The cards are memoized, so the render
 * that keeps the old views meanwhile costs next to nothing.
 */
function useShownViews(): { panels: ViewPanel[]; step: number } {
  const live = useStore((state) => state.panels);
  const liveStep = useStore((state) => state.panelsStep);
  const frames = useStore((state) => state.frames);
  const replayStep = useStore((state) => state.replayStep);
  const frame = replayStep === undefined ? undefined : frameAt(frames, replayStep);
  // Each value deferred alone (a fresh object would differ at every render); React's deferred
  // render takes the latest of both, so a card never pairs one step's views with another's number.
  const panels = useDeferredValue(frame ? frame.panels : live);
  const step = useDeferredValue(frame ? frame.step : liveStep);
  // Cleared views (a new model or dataset) go at once: the old ones must not be drawn meanwhile in the new run's look.
  if (!frame && live.length === 0) return { panels: live, step: liveStep };
  return { panels, step };
}

/** The model's first view (reconstructions, the denoising rows, the learned curve), beside the lead chart. */
export function LeadPanel() {
  const { panels, step } = useShownViews();
  const runState = useStore((state) => state.runState);
  if (panels.length === 0) {
    return <p className="card placeholder">{runState === 'loading' ? 'Loading the dataset and the model…' : 'Views appear here.'}</p>;
  }
  return <PanelCard panel={panels[0]} step={step} lead />;
}

/** Every other view, in the order the model gives them. */
export function OtherPanels() {
  const { panels, step } = useShownViews();
  const evaluationPanels = useStore((state) => state.evaluationPanels);
  return (
    <>
      {panels.slice(1).map((panel) => (
        <PanelCard key={panel.id} panel={panel} step={step} />
      ))}
      {/* then what the evaluations drew (the classes of the samples), at the step of their figures */}
      {Object.values(evaluationPanels).map(({ panel, step: at }) => (
        <PanelCard key={panel.id} panel={panel} step={at} />
      ))}
    </>
  );
}
