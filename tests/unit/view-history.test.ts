/** The replay's history of views: a refresh of the same step replaces its frame; a full history halves its grain and keeps its first frame. */
import { describe, expect, it } from 'vitest';
import { addFrame, frameAt, type ViewFrame } from '../../src/app/view-history';

const frame = (step: number): ViewFrame => ({ step, panels: [] });

describe('the history of views', () => {
  it('adds frames in order, and a second frame of the same step replaces the first', () => {
    let frames = addFrame([], frame(0));
    frames = addFrame(frames, frame(5));
    const again = frame(5);
    frames = addFrame(frames, again);
    expect(frames.map((f) => f.step)).toEqual([0, 5]);
    expect(frames[1]).toBe(again);
  });

  it('when full, drops every other older frame but the first, so it still reaches back to step 0', () => {
    let frames: ViewFrame[] = [];
    for (let step = 0; step < 10; step++) frames = addFrame(frames, frame(step), 6);
    expect(frames.length).toBeLessThanOrEqual(6);
    expect(frames[0].step).toBe(0);
    expect(frames.at(-1)!.step).toBe(9);
    const steps = frames.map((f) => f.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    // after thinning 0..5 at the sixth frame: 0, 1, 3, 5, then 6..; thinned again at the next full
    expect(steps).toEqual([0, 1, 5, 7, 8, 9]);
  });

  it('finds the frame of a step, or the nearest kept one before it', () => {
    const frames = [frame(0), frame(10), frame(30)];
    expect(frameAt(frames, 10)!.step).toBe(10);
    expect(frameAt(frames, 29)!.step).toBe(10);
    expect(frameAt(frames, 99)!.step).toBe(30);
    expect(frameAt([], 3)).toBeUndefined();
  });
});
