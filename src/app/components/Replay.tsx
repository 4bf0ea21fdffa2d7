/**
 * Watching training closely: slow motion (a few steps a second, the views of every step)
 * and a slider back through the views of earlier steps, which can play them as a film.
 * For any model; made for the GAN's 2-D lab, where the points swing between clusters
 * faster than an eye follows at full speed.
 */
import { useEffect, useState } from 'react';
import { replayAt, setSlowMotion } from '../controller';
import { useStore } from '../store';
import { frameAt } from '../view-history';

/** A played frame stays this long: the film of a run of 120 frames lasts about 18 s. */
const FRAME_MS = 150;

export function Replay() {
  const slowMotion = useStore((state) => state.slowMotion);
  const frames = useStore((state) => state.frames);
  const replayStep = useStore((state) => state.replayStep);
  const [playing, setPlaying] = useState(false);
  const live = replayStep === undefined;
  const index = live ? frames.length - 1 : Math.max(0, frames.indexOf(frameAt(frames, replayStep)!));

  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => {
      const { frames: all, replayStep: at } = useStore.getState();
      const current = at === undefined ? -1 : all.indexOf(frameAt(all, at)!);
      // past the last kept frame, the film ends on the live views
      if (current + 1 >= all.length) {
        replayAt(undefined);
        setPlaying(false);
      } else replayAt(all[current + 1].step);
    }, FRAME_MS);
    return () => clearInterval(timer);
  }, [playing]);

  const shownStep = frames[index]?.step;
  return (
    <div className="replay-bar" role="group" aria-label="Watching training">
      <label className="slow-motion" title="A few steps a second, with the views of every step: watch each move.">
        <input type="checkbox" checked={slowMotion} onChange={(event) => setSlowMotion(event.target.checked)} data-testid="slow-motion" /> Slow motion
      </label>
      <button
        type="button"
        onClick={() => {
          // from the start when at the live end, else on from where the slider is
          if (!playing && (live || index >= frames.length - 1)) replayAt(frames[0]?.step);
          setPlaying(!playing);
        }}
        disabled={frames.length < 2}
        aria-label={playing ? 'Stop the replay' : 'Replay the views from the start of the run'}
        data-testid="replay-play"
      >
        {playing ? '❚❚ Stop' : '▶ Replay'}
      </button>
      <input
        type="range"
        min={0}
        max={Math.max(0, frames.length - 1)}
        value={Math.max(0, index)}
        disabled={frames.length < 2}
        aria-label="Step whose views are shown"
        aria-valuetext={shownStep === undefined ? 'no views yet' : `step ${shownStep.toLocaleString('en-US')}`}
        onChange={(event) => {
          setPlaying(false);
          const chosen = Number(event.target.value);
          replayAt(chosen >= frames.length - 1 ? undefined : frames[chosen].step);
        }}
        data-testid="replay-slider"
      />
      <span className="replay-state" aria-live="polite" data-testid="replay-state">
        {live ? 'Live views' : `Views of step ${shownStep?.toLocaleString('en-US')}`}
      </span>
      {!live && (
        <button
          type="button"
          onClick={() => {
            setPlaying(false);
            replayAt(undefined);
          }}
          data-testid="replay-live"
        >
          Back to live
        </button>
      )}
    </div>
  );
}
