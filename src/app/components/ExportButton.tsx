/**
 * "Export as PyTorch": the current run as a zip of a PyTorch project (src/export/) that
 * goes on training from the run's weights, on a laptop, a GPU or a cluster. It takes the
 * checkpoint the worker sent when the run paused, so it is offered while paused at a kept
 * step; the code that writes the zip loads only when pressed.
 *
 * "Import from PyTorch" brings a continued run back: train.py's out/ files (manifest.json,
 * weights.npz, logs.jsonl) become a kept run whose curves go on after the browser's (those
 * of the kept run with the same link, if there is one), opened at PyTorch's last step.
 */
import { useState, type ChangeEvent } from 'react';
import { encodeLink } from '../../core/url-codec';
import type { CurvePoint } from '../../export/import';
import { exportFamilyOf } from '../../export/registry';
import { openRun } from '../controller';
import { latestCheckpoint } from '../history/keeper';
import { listRuns, saveRun, type RunRecord } from '../history/run-records';
import { smooth, smoothedKey, type ChartPoint, type HeldOutFigure } from '../series';
import { defaultRunName, newRunKey, useStore } from '../store';

async function exportRun(): Promise<void> {
  const { config, kept } = useStore.getState();
  const checkpoint = latestCheckpoint(kept.key);
  if (!checkpoint) throw new Error('Train and pause first: the export takes the weights the run is kept at.');
  const { exportZip } = await import('../../export/project');
  const readDataFile = async (name: string) => {
    const response = await fetch(`${import.meta.env.BASE_URL}data/${name}`);
    if (!response.ok) throw new Error(`Could not read the dataset file ${name} (${response.status})`);
    return new Uint8Array(await response.arrayBuffer());
  };
  // a set without a classifier has none to fetch (a server may answer a missing file with its page: not a classifier either)
  const readClassifierFile = async (name: string) => {
    const response = await fetch(`${import.meta.env.BASE_URL}classifiers/${name}`);
    if (!response.ok || response.headers.get('content-type')?.includes('text/html')) return undefined;
    return new Uint8Array(await response.arrayBuffer());
  };
  const folder = `${config.model}-${config.dataset}-step-${checkpoint.step}`;
  const zip = await exportZip({ config, checkpoint, readDataFile, readClassifierFile }, folder);
  const url = URL.createObjectURL(new Blob([zip as BlobPart], { type: 'application/zip' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: `${folder}-pytorch.zip` });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Curve points as the charts keep them: each term, and its smoothed twin for training terms, going on from `before`. */
function chartPoints(before: readonly ChartPoint[], points: readonly CurvePoint[], smoothed: boolean): ChartPoint[] {
  const start = points[0]?.step ?? Infinity;
  const kept = before.filter((point) => point.step < start);
  const last: Record<string, number> = {};
  if (smoothed) for (const point of kept) for (const [key, value] of Object.entries(point)) if (key !== 'step') last[key] = value;
  return [
    ...kept,
    ...points.map(({ step, values }) => {
      const point: ChartPoint = { step, ...values };
      if (smoothed) for (const [name, value] of Object.entries(values)) point[smoothedKey(name)] = last[smoothedKey(name)] = smooth(last[smoothedKey(name)], value);
      return point;
    }),
  ];
}

async function importRun(files: FileList): Promise<void> {
  const byName = new Map(Array.from(files, (file) => [file.name, file]));
  const manifest = byName.get('manifest.json');
  const weights = byName.get('weights.npz');
  if (!manifest || !weights) throw new Error("Choose train.py's out/manifest.json and out/weights.npz (and out/logs.jsonl for the curves).");
  const { importPytorchRun } = await import('../../export/import');
  const logs = byName.get('logs.jsonl');
  const imported = importPytorchRun({ manifest: await manifest.text(), weights: new Uint8Array(await weights.arrayBuffer()), ...(logs ? { logs: await logs.text() } : {}) });
  const link = encodeLink(imported.config);
  // the browser's part of the run: the page's own, or the latest kept run of the same link
  const state = useStore.getState();
  const base = encodeLink(state.config) === link ? { name: state.kept.name, train: state.train, test: state.test } : (await listRuns()).find((run) => run.link === link);
  const lastTest = imported.test[imported.test.length - 1];
  const heldOut: Record<string, HeldOutFigure> = Object.fromEntries(
    Object.entries(lastTest?.values ?? {}).map(([key, value]) => [key, { value, step: lastTest.step, evaluation: 'held-out', basis: 'computed by train.py in PyTorch' }]),
  );
  const now = Date.now();
  const run: RunRecord = {
    key: newRunKey(),
    name: `${base?.name ?? defaultRunName(imported.config)} (continued in PyTorch)`,
    created: now,
    updated: now,
    config: imported.config,
    link,
    step: imported.checkpoint.step,
    train: chartPoints(base?.train ?? [], imported.train, true),
    test: chartPoints(base?.test ?? [], imported.test, false),
    heldOut,
    live: false,
    training: false,
  };
  await saveRun(run, imported.checkpoint);
  await openRun({ ...run, checkpointStep: imported.checkpoint.step }, (step) => `Opened the run continued in PyTorch, at step ${step.toLocaleString('en-US')}.`);
}

export function ExportButton() {
  const { model, values } = useStore((state) => state.config);
  const paused = useStore((state) => state.runState === 'paused');
  const current = useStore((state) => state.kept.savedStep !== undefined && state.kept.savedStep === state.step);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const family = exportFamilyOf(model);
  if (!family) return null;
  const unsupported = family.unsupported?.(values);
  const ready = paused && current && !busy && !unsupported;
  const chooseImport = (event: ChangeEvent<HTMLInputElement>) => {
    const files = event.target.files;
    if (!files || files.length === 0) return;
    setBusy(true);
    setProblem(undefined);
    importRun(files)
      .catch((error: unknown) => setProblem(error instanceof Error ? error.message : String(error)))
      .finally(() => {
        setBusy(false);
        event.target.value = '';
      });
  };
  const press = () => {
    setBusy(true);
    setProblem(undefined);
    exportRun()
      .catch((error: unknown) => setProblem(error instanceof Error ? error.message : String(error)))
      .finally(() => setBusy(false));
  };
  return (
    <section className="card export-pytorch" aria-labelledby="export-pytorch-heading">
      <h2 id="export-pytorch-heading">Go on training in PyTorch</h2>
      <p className="help">
        A zip with train.py, this run&apos;s weights and optimizer state at the step it is kept at, and the data: it trains on from there on a laptop, a GPU, or many GPUs
        with torchrun. What it writes comes back here as a run with its curves after these.
      </p>
      <div className="export-actions">
        <button
          type="button"
          onClick={press}
          disabled={!ready}
          title="A zip of a PyTorch project (train.py, these weights and Adam state, the data) that goes on training from this step on one CPU, one GPU or many (torchrun). Pause a trained run to export it."
          data-testid="export-pytorch"
        >
          {busy ? 'Exporting…' : 'Export as PyTorch'}
        </button>
        <label className="import-pytorch" title="Choose train.py's out/manifest.json, out/weights.npz and out/logs.jsonl: the run comes back with its curves after the browser's.">
          Import from PyTorch…
          <input type="file" multiple accept=".json,.npz,.jsonl" onChange={chooseImport} disabled={busy} data-testid="import-pytorch" />
        </label>
      </div>
      {unsupported ? <p className="help">{unsupported}</p> : !ready && !busy && <p className="help">Pause a trained run to export it.</p>}
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
