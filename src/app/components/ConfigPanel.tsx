/** Model, dataset, backend and every hyperparameter, all read from the registries. */
import { BACKEND_CHOICES, defaultConfig, paramsFor, type BackendChoice } from '../../core/config';
import { DATASETS } from '../../core/datasets/catalog';
import { MODELS } from '../../core/models';
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

export function ConfigPanel() {
  const config = useStore((state) => state.config);
  const specs = paramsFor(config.model);

  return (
    <section className="card" aria-labelledby="config-heading">
      <h2 id="config-heading">Setup</h2>
      <div className="param">
        <label htmlFor="model-select">Model</label>
        <select
          id="model-select"
          value={config.model}
          onChange={(event) => {
            // A new model brings its own defaults; dataset, backend and training settings stay.
            const next = defaultConfig(event.target.value);
            next.dataset = config.dataset;
            next.backend = config.backend;
            for (const key of ['lr', 'batch', 'seed']) next.values[key] = config.values[key];
            changeConfig(next, { immediate: true });
          }}
        >
          {families.map((family) => (
            <optgroup key={family} label={family}>
              {MODELS.filter((model) => model.family === family).map((model) => (
                <option key={model.id} value={model.id}>
                  {model.name}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <div className="param">
        <label htmlFor="dataset-select">Dataset</label>
        <select
          id="dataset-select"
          value={config.dataset}
          onChange={(event) => changeConfig({ ...config, dataset: event.target.value }, { immediate: true })}
        >
          {DATASETS.map((dataset) => (
            <option key={dataset.id} value={dataset.id}>
              {dataset.name}
            </option>
          ))}
        </select>
      </div>
      <div className="param">
        <label htmlFor="backend-select">Compute backend</label>
        <select
          id="backend-select"
          value={config.backend}
          onChange={(event) => changeConfig({ ...config, backend: event.target.value as BackendChoice }, { immediate: true })}
        >
          {BACKEND_CHOICES.map((choice) => (
            <option key={choice} value={choice}>
              {BACKEND_LABELS[choice]}
            </option>
          ))}
        </select>
      </div>
      <h3>Hyperparameters</h3>
      <p className="help">Changing one restarts training from step 0, except those marked live, which apply at once.</p>
      {specs.map((spec) => (
        <ParamControl
          key={`${config.model}-${spec.key}`}
          spec={spec}
          value={config.values[spec.key] ?? spec.default}
          onChange={(value) => changeConfig({ ...config, values: { ...config.values, [spec.key]: value } })}
        />
      ))}
    </section>
  );
}
