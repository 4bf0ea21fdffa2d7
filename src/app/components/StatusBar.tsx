/** Which backend runs the training, on what adapter, and how fast. */
import { useStore } from '../store';

const NAMES = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'CPU (JavaScript)' } as const;

export function StatusBar() {
  const backend = useStore((state) => state.backend);
  const throughput = useStore((state) => state.throughput);
  const runState = useStore((state) => state.runState);
  const progress = useStore((state) => state.progress);
  const statusMessage = useStore((state) => state.statusMessage);

  const skipped = backend?.skipped.map((entry) => `${entry.name}: ${entry.reason}`).join('\n');
  return (
    <div className="status-bar" role="status" aria-live="polite">
      <span className="badge" data-testid="backend" title={skipped ? `Passed over:\n${skipped}` : undefined}>
        {backend ? NAMES[backend.name] : 'starting…'}
        {backend?.adapter ? <span className="adapter"> · {backend.adapter}</span> : null}
        {backend?.isFallbackAdapter ? <span className="warn"> (software GPU: slow)</span> : null}
      </span>
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
