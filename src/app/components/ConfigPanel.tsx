/** Model, dataset, backend and every setting, all read from the registries and schemas. */
import { BACKEND_CHOICES, datasetOf, datasetsFor, defaultConfig, modelOf, settingGroups, TRAINING_PARAMS, type BackendChoice, type RunConfig } from '../../core/config';
import { MODELS } from '../../core/models';
import { validateParam, type ParamSpec } from '../../core/params/schema';
import { changeConfig } from '../controller';
import { useStore } from '../store';
import { ParamControl } from './ParamControl';

const BACKEND_LABELS: Record<BackendChoice, string> = {
  auto: 'Automatic (fastest available)',
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WebAssembly (CPU)',
  cpu: 'Plain JavaScript (CPU)',
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

function Group({ title, specs, config }: { title: string; specs: readonly ParamSpec[]; config: RunConfig }) {
  if (specs.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
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
  const model = modelOf(config);
  const dataset = datasetOf(config);
  const groups = settingGroups(model, dataset);

  return (
    <section className="card" aria-labelledby="config-heading">
      <h2 id="config-heading">Setup</h2>
      <div className="param">
        <label htmlFor="model-select">Model</label>
        <select
          id="model-select"
          value={config.model}
          onChange={(event) => {
            // Keep the dataset if the new model trains on it, else take the first it does.
            changeConfig(switchTo(config, event.target.value, config.dataset), { immediate: true });
          }}
        >
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
      <p className="help">Changing a setting restarts training from step 0, except those marked live, which apply at once.</p>
      <Group title="Training" specs={[...groups.optimizer, ...groups.training]} config={config} />
      <Group title="Model" specs={groups.model} config={config} />
      <Group title="Data" specs={groups.data} config={config} />
    </section>
  );
}
