/** The backends in words a person knows, and how the automatic choice was made, in one sentence. */
import type { BackendInfo } from '../worker/protocol';

export const ENGINES = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'JavaScript' } as const;

const msText = (ms: number) => (ms < 10 ? ms.toFixed(1) : Math.round(ms).toLocaleString('en-US'));

/** How the automatic choice timed this model, fastest first; undefined if it did not. */
export function timingSentence(timing: BackendInfo['timing']): string | undefined {
  if (!timing || timing.measured.length === 0) return undefined;
  const results = [...timing.measured]
    .sort((a, b) => a.msPerStep - b.msPerStep)
    .map((entry) => `${ENGINES[entry.name as keyof typeof ENGINES] ?? entry.name} ${msText(entry.msPerStep)} ms a step`)
    .join(', ');
  if (timing.source === 'measured') return `Picked by timing this model on each backend${timing.measured.length === 1 ? ' that could run it' : ''}: ${results}.`;
  const day = new Date(timing.at).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  return `Picked by timing this model on this device on ${day} (remembered, so not timed again): ${results}.`;
}
