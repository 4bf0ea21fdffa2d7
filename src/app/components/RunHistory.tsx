/**
 * The runs this browser keeps: newest first, each with its samples, figures and steps;
 * open one (it goes on from its checkpoint), rename, export as a file, delete, clear all;
 * import a file; tick two or more and compare them.
 */
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { findDataset } from '../../core/datasets/catalog';
import { SAMPLE_QUALITY_TERMS, termsOf } from '../../core/metrics/quality-terms';
import { findModel, MODELS } from '../../core/models';
import { openRun } from '../controller';
import { settled } from '../history/keeper';
import { decodeRunFile, encodeRunFile, RunFileError, runFileName } from '../history/run-file';
import { clearRuns, deleteRun, getCheckpoint, listRuns, saveRun, storageProblem, updateRun, type RunRecord } from '../history/run-records';
import { newRunKey, useStore } from '../store';
import { format } from './Charts';
import { RunComparison } from './RunComparison';

/**
 * A figure's short formal name ("precision (k-NN manifold, k = 3)"): tables and lists have
 * little room. The same key may mean different things to different models (a VAE's
 * "loss" is its -ELBO), so the label is the given models' own if they agree, else the key.
 */
export function figureLabel(key: string, modelIds: readonly string[]): string {
  const labels = new Set(modelIds.map((id) => termsOf(findModel(id) ?? MODELS[0]).find((term) => term.key === key)?.label));
  const [label] = labels;
  return labels.size === 1 && label ? label : key.replace(/_/g, ' ');
}

/** The figures a list entry shows: the sample-quality ones first (they compare across models), then the model's own. */
function keyFigures(run: RunRecord): string {
  const keys = Object.keys(run.heldOut);
  const quality = SAMPLE_QUALITY_TERMS.map((term) => term.key).filter((key) => keys.includes(key));
  return [...quality, ...keys.filter((key) => !quality.includes(key))]
    .slice(0, 3)
    .map((key) => `${figureLabel(key, [run.config.model])} ${format(run.heldOut[key].value)}`)
    .join(' · ');
}

/** Offers text as a file to save. */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}


export function RunHistory() {
  const open = useStore((state) => state.historyOpen);
  const current = useStore((state) => state.kept.key);
  const dialog = useRef<HTMLDialogElement>(null);
  const [runs, setRuns] = useState<RunRecord[]>([]);
  const [selected, setSelected] = useState<string[]>([]);
  const [comparing, setComparing] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'info'; text: string }>();

  const reload = async () => {
    try {
      await settled();
      const list = await listRuns();
      setRuns(list);
      setSelected((keys) => keys.filter((key) => list.some((run) => run.key === key)));
    } catch (error) {
      setMessage({ kind: 'error', text: storageProblem(error) });
    }
  };

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      element.showModal();
      setComparing(false);
      setMessage(undefined);
      void reload();
    } else if (!open && element.open) element.close();
  }, [open]);

  const close = () => useStore.setState({ historyOpen: false });
  const act = async (work: () => Promise<void>, done?: string) => {
    try {
      await work();
      if (done) setMessage({ kind: 'info', text: done });
    } catch (error) {
      setMessage({ kind: 'error', text: error instanceof RunFileError ? error.message : storageProblem(error) });
    }
    await reload();
  };

  const exportRun = (run: RunRecord) =>
    act(async () => {
      const checkpoint = await getCheckpoint(run.key);
      download(runFileName(run), encodeRunFile(run, checkpoint), 'application/json');
    });

  const importFile = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    void act(async () => {
      const { run, checkpoint } = decodeRunFile(await file.text(), newRunKey());
      await saveRun(run, checkpoint);
    }, `Imported "${file.name}": it is at the top of the list; press Open to see it.`);
  };

  const chosen = runs.filter((run) => selected.includes(run.key));

  return (
    <dialog ref={dialog} className="run-history" aria-labelledby="run-history-title" onClose={close} data-testid="run-history">
      <header className="run-history-header">
        <h2 id="run-history-title">{comparing ? 'Compare runs' : 'Your runs'}</h2>
        <button type="button" onClick={close}>
          Close
        </button>
      </header>
      {message && (
        <p className={`notice ${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'} data-testid="run-history-message">
          {message.text}
        </p>
      )}
      {comparing ? (
        <RunComparison runs={chosen} onBack={() => setComparing(false)} />
      ) : (
        <>
          <p className="run-history-intro">Every run that trained is kept in this browser (not uploaded), with its weights every 30 seconds of training. Tick two or more to compare them.</p>
          <div className="run-history-tools">
            <button type="button" className="primary" disabled={chosen.length < 2} onClick={() => setComparing(true)} data-testid="compare-runs">
              {chosen.length >= 2 ? `Compare ${chosen.length} runs` : 'Compare runs'}
            </button>
            <label className="file-button">
              Import a run file
              <input type="file" accept=".json,application/json" onChange={importFile} data-testid="import-run" />
            </label>
            <button type="button" disabled={runs.length === 0} onClick={() => window.confirm(`Delete all ${runs.length} kept runs? This cannot be undone.`) && void act(clearRuns, 'All kept runs were deleted.')}>
              Clear all
            </button>
          </div>
          {runs.length === 0 ? (
            <p className="run-history-empty">No runs kept yet: press Train, and the run appears here once it has trained a little.</p>
          ) : (
            <ol className="run-list" data-testid="run-list">
              {runs.map((run) => (
                <li key={run.key} className={run.key === current ? 'run-item current' : 'run-item'} data-testid="run-item">
                  <input
                    type="checkbox"
                    aria-label={`Compare ${run.name}`}
                    checked={selected.includes(run.key)}
                    onChange={(event) => setSelected((keys) => (event.target.checked ? [...keys, run.key] : keys.filter((key) => key !== run.key)))}
                  />
                  {run.thumbnail ? <img src={run.thumbnail} alt={`Samples of ${run.name}`} width={64} height={64} /> : <span className="thumbnail-missing">no samples</span>}
                  <div className="run-item-text">
                    <input
                      className="run-name"
                      aria-label="Run name"
                      defaultValue={run.name}
                      maxLength={120}
                      onBlur={(event) => event.target.value.trim() && event.target.value !== run.name && void act(() => updateRun(run.key, { name: event.target.value.trim() }))}
                      onKeyDown={(event) => event.key === 'Enter' && event.currentTarget.blur()}
                    />
                    <span className="run-meta">
                      {findDataset(run.config.dataset)?.name ?? run.config.dataset} · step {run.step.toLocaleString('en-US')}
                      {run.checkpointStep !== undefined ? ` (weights at ${run.checkpointStep.toLocaleString('en-US')})` : ' (no weights)'} · {new Date(run.updated).toLocaleString()}
                      {run.key === current ? ' · showing now' : ''}
                    </span>
                    {keyFigures(run) && <span className="run-figures">{keyFigures(run)}</span>}
                  </div>
                  <div className="run-item-actions">
                    <button type="button" onClick={() => void openRun(run).then(close)} data-testid="open-run">
                      Open
                    </button>
                    <button type="button" onClick={() => void exportRun(run)} data-testid="export-run">
                      Export
                    </button>
                    <button type="button" onClick={() => window.confirm(`Delete "${run.name}"?`) && void act(() => deleteRun(run.key))}>
                      Delete
                    </button>
                  </div>
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </dialog>
  );
}
