/**
 * The settings, read from the registries and schemas: model and data first, then training,
 * then what the views show; the advanced ones folded under "More settings". A setting that
 * depends on another (the VAE's hidden widths on its architecture) shows only when it applies.
 */
import { useEffect } from 'react';
import { BACKEND_CHOICES, datasetOf, datasetsFor, defaultConfig, modelOf, settingGroups, settingsOf, TRAINING_PARAMS, type BackendChoice, type RunConfig } from '../../core/config';
import { MODELS } from '../../core/models';
import { formatParam, validateParam, type ParamSpec } from '../../core/params/schema';
import { changeConfig, toggleSettings } from '../controller';
import { useStore } from '../store';
import { ParamControl } from './ParamControl';

const BACKEND_LABELS: Record<BackendChoice, string> = {
  auto: 'Automatic (the fastest this device has)',
  webgpu: 'GPU, through WebGPU',
  webgl: 'GPU, through WebGL',
  wasm: 'CPU, through WebAssembly',
  cpu: 'CPU, plain JavaScript (slowest)',
};

const families = [...new Set(MODELS.map((model) => model.family))];

/**
 * A new model brings its own settings, keeping the backend and the training loop's (and a
 * learning rate under the same key); a new dataset keeps every setting that still applies.
 */
function switchTo(config: RunConfig, modelId: string, datasetId: string): RunConfig {
  // a dataset the model cannot train on gives way to the first it can
  const next = defaultConfig(modelId, datasetId);
  next.backend = config.backend;
  const groups = settingGroups(modelOf(next), datasetOf(next));
  const carried = modelId === config.model ? [...groups.optimizer, ...groups.training, ...groups.model] : [...groups.optimizer, ...TRAINING_PARAMS];
  for (const spec of carried) {
    const result = spec.key in config.values ? validateParam(spec, config.values[spec.key]) : undefined;
    if (result?.ok) next.values[spec.key] = result.value;
  }
  return next;
}

/** Whether a setting applies given the others (`shownWhen`). */
function shown(spec: ParamSpec, config: RunConfig, all: readonly ParamSpec[]): boolean {
  if (!spec.shownWhen) return true;
  return Object.entries(spec.shownWhen).every(([key, wanted]) => {
    const other = all.find((candidate) => candidate.key === key);
    return other !== undefined && formatParam(other, config.values[key] ?? other.default) === wanted;
  });
}

function Controls({ specs, config }: { specs: readonly ParamSpec[]; config: RunConfig }) {
  return (
    <>
      {specs.map((spec) => (
        <ParamControl
          key={`${config.model}-${config.dataset}-${spec.key}`}
          spec={spec}
          value={config.values[spec.key] ?? spec.default}
          onChange={(value) => changeConfig({ ...config, values: { ...config.values, [spec.key]: value } })}
        />
      ))}
    </>
  );
}

export function ConfigPanel() {
  const config = useStore((state) => state.config);
  const open = useStore((state) => state.settingsOpen);
  const model = modelOf(config);
  const dataset = datasetOf(config);
  const groups = settingGroups(model, dataset);
  const all = settingsOf(model, dataset);
  const visible = all.filter((spec) => shown(spec, config, all));
  // by key: each schema call specializes its own copies of the specs
  const visibleKeys = new Set(visible.map((spec) => spec.key));
  const pick = (list: readonly ParamSpec[], advanced: boolean) => list.filter((spec) => visibleKeys.has(spec.key) && Boolean(spec.advanced) === advanced && spec.group !== 'view');
  const viewSettings = visible.filter((spec) => spec.group === 'view');

  // On a small screen the drawer covers the results: Escape closes it.
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') toggleSettings(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);

  return (
    <aside id="settings" className="settings card" aria-labelledby="config-heading" hidden={!open}>
      <div className="settings-header">
        <h2 id="config-heading">Settings</h2>
        <button type="button" className="small-button" onClick={() => toggleSettings(false)}>
          Close
        </button>
      </div>
      <p className="help">Settings marked live change the running model at once; the others build it again, keeping the old curve on the chart to compare.</p>
      <h3>Model and data</h3>
      <div className="param">
        <label htmlFor="model-select">Model</label>
        <select id="model-select" value={config.model} onChange={(event) => changeConfig(switchTo(config, event.target.value, config.dataset), { immediate: true })}>
          {families.map((family) => (
            <optgroup key={family} label={family}>
              {MODELS.filter((candidate) => candidate.family === family).map((candidate) => (
                <option key={candidate.id} value={candidate.id}>
                  {candidate.name}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <div className="param">
        <label htmlFor="dataset-select">Dataset</label>
        <select id="dataset-select" value={config.dataset} aria-describedby="dataset-help" onChange={(event) => changeConfig(switchTo(config, config.model, event.target.value), { immediate: true })}>
          {(['image', 'points'] as const).map((kind) => {
            const offered = datasetsFor(model).filter((candidate) => candidate.kind === kind);
            return (
              offered.length > 0 && (
                <optgroup key={kind} label={kind === 'image' ? 'Images' : '2-D points'}>
                  {offered.map((candidate) => (
                    <option key={candidate.id} value={candidate.id}>
                      {candidate.name}
                    </option>
                  ))}
                </optgroup>
              )
            );
          })}
        </select>
        <p id="dataset-help" className="help">
          {dataset.description}
        </p>
      </div>
      <Controls specs={pick(groups.model, false)} config={config} />
      <Controls specs={pick(groups.data, false)} config={config} />
      <h3>Training</h3>
      <Controls specs={pick([...groups.optimizer, ...groups.training], false)} config={config} />
      {viewSettings.length > 0 && (
        <>
          <h3>What the views show</h3>
          <Controls specs={viewSettings} config={config} />
        </>
      )}
      <details className="more-settings">
        <summary>More settings</summary>
        <Controls specs={pick(all, true)} config={config} />
        <div className="param">
          <label htmlFor="backend-select">Compute backend</label>
          <select id="backend-select" value={config.backend} onChange={(event) => changeConfig({ ...config, backend: event.target.value as BackendChoice }, { immediate: true })}>
            {BACKEND_CHOICES.map((choice) => (
              <option key={choice} value={choice}>
                {BACKEND_LABELS[choice]}
              </option>
            ))}
          </select>
        </div>
      </details>
    </aside>
  );
}
