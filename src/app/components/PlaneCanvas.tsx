/** The canvas of a plot over a plane (points, a field), sized to its frame and described for screen readers. */
import type { Ref } from 'react';
import type { Frame } from './plane';

export function PlaneCanvas({ ref, frame, label, testId }: { ref: Ref<HTMLCanvasElement>; frame: Frame; label: string; testId: string }) {
  return (
    <canvas
      ref={ref}
      className="plane-canvas"
      style={{ width: frame.width, aspectRatio: `${frame.width} / ${frame.height}` }}
      role="img"
      aria-label={label}
      data-testid={testId}
    />
  );
}
