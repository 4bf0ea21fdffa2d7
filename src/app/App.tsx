import { DATASETS } from '../core/datasets/catalog';
import { ChartDetails, LeadChart } from './components/Charts';
import { ConfigPanel } from './components/ConfigPanel';
import { DeviceBadge } from './components/DeviceBadge';
import { FirstMinute } from './components/FirstMinute';
import { ExportButton } from './components/ExportButton';
import { ModelCard } from './components/ModelCard';
import { NewSamples, OfferedJobs } from './components/NewSamples';
import { Notices } from './components/Notices';
import { LeadPanel, OtherPanels } from './components/Panels';
import { Replay } from './components/Replay';
import { RunBar } from './components/RunBar';
import { RunHistory } from './components/RunHistory';
import { useStore } from './store';

/** The image sets' credits, each once: sets from one source (the emoji at two sizes) share a line. */
const IMAGE_CREDITS = Object.values(
  DATASETS.filter((dataset) => dataset.kind === 'image').reduce<Record<string, { names: string; credit: string; license: string }>>((lines, { name, credit, license }) => {
    const key = `${credit}|${license}`;
    lines[key] = lines[key] ? { ...lines[key], names: `${lines[key].names} and ${name}` } : { names: name, credit, license };
    return lines;
  }, {}),
);

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
            <OfferedJobs />
          </div>
          <ModelCard />
          <ExportButton />
        </main>
      </div>
      <footer className="app-footer">
        <p>
          Training runs in your browser; nothing is uploaded. The address bar always holds a link to this exact setup. Data:{' '}
          {IMAGE_CREDITS.map(({ names, credit, license }, index) => (
            <span key={names}>
              {index > 0 ? '; ' : ''}
              {names} by {credit} ({license})
            </span>
          ))}
          ; the 2-D sets are generated in your browser.
        </p>
      </footer>
      <RunHistory />
    </div>
  );
}
