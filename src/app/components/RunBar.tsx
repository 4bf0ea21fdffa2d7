/**
 * Train / pause, step and reset, the step counter, and the settings toggle: the first
 * controls on the page, sticky at the top of small screens. Space, S and R work wherever
 * focus is, except where typing or choosing (text boxes, menus) needs those keys.
 */
import { useEffect } from 'react';
import { findModel } from '../../core/models';
import { pause, play, resetRun, stepOnce, toggleSettings } from '../controller';
import { useStore } from '../store';

/** Where a key is the person's text or a menu's own, not a shortcut. */
function keepsKeys(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element) return false;
  if (element.isContentEditable || element.tagName === 'TEXTAREA' || element.tagName === 'SELECT') return true;
  return element.tagName === 'INPUT' && !['range', 'checkbox', 'radio', 'button'].includes((element as HTMLInputElement).type);
}

export function RunBar() {
  const runState = useStore((state) => state.runState);
  const step = useStore((state) => state.step);
  const settingsOpen = useStore((state) => state.settingsOpen);
  const savedStep = useStore((state) => state.kept.savedStep);
  const phases = findModel(useStore((state) => state.config.model))?.phases ?? [];
  const running = runState === 'running';
  const ready = runState === 'paused' || running;

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (keepsKeys(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      const state = useStore.getState().runState;
      const key = event.key.toLowerCase();
      // A focused button takes Space itself (it presses the button).
      if (key === ' ' && (event.target as HTMLElement)?.tagName !== 'BUTTON') {
        event.preventDefault();
        if (state === 'running') pause();
        else if (state === 'paused') play();
      } else if (key === 's' && state === 'paused') stepOnce();
      else if (key === 'r') resetRun();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="run-bar" role="group" aria-label="Training controls">
      <button type="button" className="primary" onClick={running ? pause : play} disabled={!ready} aria-keyshortcuts="Space" data-testid="play-pause">
        {running ? '❚❚ Pause' : '▶ Train'}
      </button>
      <button type="button" onClick={() => stepOnce()} disabled={runState !== 'paused'} aria-keyshortcuts="S">
        Step
      </button>
      {phases.map((phase) => (
        <button key={phase.id} type="button" onClick={() => stepOnce(phase.id)} disabled={runState !== 'paused'} data-testid={`step-${phase.id}`}>
          Step {phase.label}
        </button>
      ))}
      <button type="button" onClick={resetRun} aria-keyshortcuts="R">
        Reset
      </button>
      <p className="step-count" aria-live="off">
        Step <strong data-testid="step-count">{step.toLocaleString('en-US')}</strong>
        {savedStep !== undefined && (
          <span className="saved-step" title="The run is kept in this browser with its weights at this step: a reload goes on from here." data-testid="saved-step">
            {' '}
            · kept at {savedStep.toLocaleString('en-US')}
          </span>
        )}
      </p>
      <button type="button" onClick={() => useStore.setState({ historyOpen: true })} data-testid="runs-toggle">
        Runs
      </button>
      <button type="button" className="settings-toggle" aria-expanded={settingsOpen} aria-controls="settings" onClick={() => toggleSettings()} data-testid="settings-toggle">
        {settingsOpen ? 'Hide settings' : 'Settings'}
      </button>
    </div>
  );
}
