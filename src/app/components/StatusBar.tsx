/** Which backend runs the training, on what adapter, and how fast. */
import { useStore } from '../store';

const NAMES = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'CPU (JavaScript)' } as const;

export function StatusBar() {
  const backend = useStore((state) => state.backend);
  const throughput = useStore((state) => state.throughput);
  const runState = useStore((state) => state.runState);
  const progress = useStore((state) => state.progress);
  const statusMessage = useStore((state) => state.statusMessage);

  return (
    <div className="status-bar" role="status" aria-live="polite">
      <span className="badge" data-testid="backend">
        {backend ? NAMES[backend.name] : 'starting…'}
        {backend?.adapter ? <span className="adapter"> · {backend.adapter}</span> : null}
        {backend?.isFallbackAdapter ? <span className="warn"> (software GPU: slow)</span> : null}
      </span>
      {backend && backend.skipped.length > 0 && (
        <details className="skipped">
          <summary>Why not {backend.skipped.map((entry) => NAMES[entry.name as keyof typeof NAMES] ?? entry.name).join(' or ')}?</summary>
          <ul>
            {backend.skipped.map((entry) => (
              <li key={entry.name}>
                {NAMES[entry.name as keyof typeof NAMES] ?? entry.name}: {entry.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      <span className={`state state-${runState}`}>{runState}</span>
      <span data-testid="throughput">
        {throughput.stepsPerSecond.toFixed(1)} steps/s · {Math.round(throughput.imagesPerSecond).toLocaleString('en-US')} images/s
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
    </div>
  );
}
