import { DATASETS } from '../core/datasets/catalog';
import { ChartDetails, LeadChart } from './components/Charts';
import { ConfigPanel } from './components/ConfigPanel';
import { DeviceBadge } from './components/DeviceBadge';
import { FirstMinute } from './components/FirstMinute';
import { ModelCard } from './components/ModelCard';
import { NewSamples } from './components/NewSamples';
import { Notices } from './components/Notices';
import { LeadPanel, OtherPanels } from './components/Panels';
import { Replay } from './components/Replay';
import { RunBar } from './components/RunBar';
import { RunHistory } from './components/RunHistory';
import { useStore } from './store';

/**
 * One screen for a classroom: the run bar, the model in a line and what to expect, then
 * the lead chart beside the main view, then everything else. The settings are a drawer:
 * a column beside the results on a wide screen, over them on a small one.
 */
export function App() {
  const settingsOpen = useStore((state) => state.settingsOpen);
  return (
    <div className="app">
      <header className="topbar">
        <h1>Generative Playground</h1>
        <RunBar />
      </header>
      <DeviceBadge />
      <Notices />
      <FirstMinute />
      <div className={settingsOpen ? 'workspace with-settings' : 'workspace'}>
        <ConfigPanel />
        <main className="results">
          <div className="lead-row">
            <LeadChart />
            <LeadPanel />
          </div>
          <Replay />
          <div className="panel-columns">
            <ChartDetails />
            <OtherPanels />
            <NewSamples />
          </div>
          <ModelCard />
        </main>
      </div>
      <footer className="app-footer">
        <p>
          Training runs in your browser; nothing is uploaded. The address bar always holds a link to this exact setup. Data:{' '}
          {DATASETS.filter((dataset) => dataset.kind === 'image').map((dataset, index) => (
            <span key={dataset.id}>
              {index > 0 ? '; ' : ''}
              {dataset.name} by {dataset.credit} ({dataset.license})
            </span>
          ))}
          ; the 2-D sets are generated in your browser.
        </p>
      </footer>
      <RunHistory />
    </div>
  );
}
