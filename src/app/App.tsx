import { DATASETS } from '../core/datasets/catalog';
import { ConfigPanel } from './components/ConfigPanel';
import { Charts } from './components/Charts';
import { ModelCard } from './components/ModelCard';
import { Notices } from './components/Notices';
import { NewSamples } from './components/NewSamples';
import { Panels } from './components/Panels';
import { RunControls } from './components/RunControls';
import { StatusBar } from './components/StatusBar';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>Generative Playground</h1>
        <StatusBar />
      </header>
      <Notices />
      <main className="layout">
        <aside className="sidebar">
          <RunControls />
          <ConfigPanel />
          <ModelCard />
        </aside>
        <div className="stage">
          <Charts />
          <div className="panels">
            <Panels />
            <NewSamples />
          </div>
        </div>
      </main>
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
    </div>
  );
}
