/**
 * What runs the training, in plain words (a GPU, a software GPU, the CPU), how fast, and
 * what the run is doing; the adapter's full name and why other backends were passed over
 * are one tap away.
 */
import { useStore } from '../store';
import type { BackendInfo } from '../../worker/protocol';
import { ENGINES, timingSentence } from '../backend-words';

/** "GPU", "software GPU (slow)", "CPU": the kind of device, as a person would say it. */
export function deviceKind(backend: BackendInfo): string {
  if (backend.name === 'webgpu' || backend.name === 'webgl') return backend.isFallbackAdapter ? 'software GPU (slow)' : 'GPU';
  return 'CPU';
}

const STATES = { loading: 'getting ready', paused: 'paused', running: 'training', error: 'stopped' } as const;

export function DeviceBadge() {
  const backend = useStore((state) => state.backend);
  const throughput = useStore((state) => state.throughput);
  const runState = useStore((state) => state.runState);
  const progress = useStore((state) => state.progress);
  const statusMessage = useStore((state) => state.statusMessage);

  return (
    <div className="status-bar" role="status" aria-live="polite">
      <span className="badge" data-testid="backend">
        {backend ? `${deviceKind(backend)} · ${ENGINES[backend.name]}` : 'starting…'}
      </span>
      <span className={`state state-${runState}`}>{STATES[runState]}</span>
      <span data-testid="throughput">
        {throughput.stepsPerSecond.toFixed(1)} steps/s · {Math.round(throughput.imagesPerSecond).toLocaleString('en-US')} examples/s
      </span>
      {progress && progress.total > 0 && (
        <span className="progress">
          <label>
            {progress.label}{' '}
            <progress value={progress.loaded} max={progress.total}>
              {Math.round((100 * progress.loaded) / progress.total)}%
            </progress>
          </label>
        </span>
      )}
      {statusMessage && <span className="status-message">{statusMessage}</span>}
      {backend && (backend.adapter || backend.skipped.length > 0 || backend.timing) && (
        <details className="device-details">
          <summary>About this device</summary>
          {backend.adapter && <p>Adapter: {backend.adapter}</p>}
          {backend.timing && <p data-testid="backend-timing">{timingSentence(backend.timing)}</p>}
          {backend.skipped.length > 0 && (
            <ul>
              {backend.skipped.map((entry) => (
                <li key={entry.name}>
                  Not {ENGINES[entry.name as keyof typeof ENGINES] ?? entry.name}: {entry.reason}
                </li>
              ))}
            </ul>
          )}
        </details>
      )}
    </div>
  );
}
