/**
 * The views of past steps, kept so a person can scrub back through training (the GAN's
 * points swinging from cluster to cluster, a sample grid sharpening). A long run is kept at
 * a coarser grain rather than cut: when the history is full, every other frame goes, so
 * it still reaches back to the start.
 */
import type { ViewPanel } from '../core/views/panels';

export interface ViewFrame {
  step: number;
  panels: ViewPanel[];
}

/** Frames kept at most: a 2-D lab's frame is tens of kilobytes, an image grid's about 50. */
export const KEPT_FRAMES = 120;

export function addFrame(frames: readonly ViewFrame[], frame: ViewFrame, limit = KEPT_FRAMES): ViewFrame[] {
  // a refresh of the same step (a live setting changed) replaces its frame
  const kept = frames.length > 0 && frames[frames.length - 1].step === frame.step ? frames.slice(0, -1) : [...frames];
  // the first frame stays: the history always starts where the run did
  const thinned = kept.length >= limit ? kept.filter((_, index) => index === 0 || index % 2 === 1) : kept;
  return [...thinned, frame];
}

/** The frame to show for a chosen step: that step's, or the nearest kept one before it (thinning may have dropped it). */
export function frameAt(frames: readonly ViewFrame[], step: number): ViewFrame | undefined {
  let found: ViewFrame | undefined;
  for (const frame of frames) if (frame.step <= step) found = frame;
  return found ?? frames[0];
}
