/** Play / pause, single step and reset, with keyboard shortcuts. */
import { useEffect } from 'react';
import { pause, play, resetRun, stepOnce } from '../controller';
import { findModel } from '../../core/models';
import { useStore } from '../store';

function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return !!element && (element.tagName === 'INPUT' || element.tagName === 'SELECT' || element.tagName === 'TEXTAREA' || element.isContentEditable);
}

export function RunControls() {
  const runState = useStore((state) => state.runState);
  const step = useStore((state) => state.step);
  const phases = findModel(useStore((state) => state.config.model))?.phases ?? [];
  const running = runState === 'running';
  const ready = runState === 'paused' || running;

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      const state = useStore.getState().runState;
      if (event.key === ' ' && (event.target as HTMLElement)?.tagName !== 'BUTTON') {
        event.preventDefault();
        if (state === 'running') pause();
        else if (state === 'paused') play();
      } else if (event.key === 's' && state === 'paused') stepOnce();
      else if (event.key === 'r') resetRun();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <section className="card run-controls" aria-label="Training controls">
      <div className="buttons">
        <button
          type="button"
          className="primary"
          onClick={running ? pause : play}
          disabled={!ready}
          aria-keyshortcuts="Space"
          data-testid="play-pause"
        >
          {running ? '❚❚ Pause' : '▶ Train'}
        </button>
        <button type="button" onClick={() => stepOnce()} disabled={runState !== 'paused'} aria-keyshortcuts="S">
          Step
        </button>
        <button type="button" onClick={resetRun} aria-keyshortcuts="R">
          Reset
        </button>
      </div>
      {phases.length > 0 && (
        // A model whose step has parts (a GAN: discriminator, then generator) can be stepped a part at a time.
        <div className="buttons phase-buttons" role="group" aria-label="Step one part of a training step">
          {phases.map((phase) => (
            <button key={phase.id} type="button" onClick={() => stepOnce(phase.id)} disabled={runState !== 'paused'} data-testid={`step-${phase.id}`}>
              Step {phase.label}
            </button>
          ))}
        </div>
      )}
      <p className="step-count" aria-live="off">
        Step <strong data-testid="step-count">{step.toLocaleString('en-US')}</strong>
      </p>
      <p className="help">Keys: Space train/pause · S step · R reset</p>
    </section>
  );
}
