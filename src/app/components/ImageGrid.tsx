/** A grid of images drawn at native resolution on a canvas and scaled up without smoothing. */
import { useEffect, useRef, type CSSProperties } from 'react';
import { findDataset } from '../../core/datasets/catalog';
import type { ImageGridPanel } from '../../core/views/panels';
import { GAP, gridImage } from './grid-image';
import { paintQueue } from '../paint-queue';
import { useStore } from '../store';

const EXPORT_SCALE = 4;

/**
 * Whether grey images read as dark ink on light paper (handwriting) rather than as stored
 * (clothes photographed light on dark): the dataset says, through its `look`.
 */
export function useInk(): boolean {
  const dataset = findDataset(useStore((state) => state.config.dataset));
  return dataset?.kind !== 'image' || dataset.look === 'ink';
}

/** Saves the grid as a PNG, each pixel drawn as a SCALE x SCALE block so it stays sharp in slides. */
export function downloadGrid(panel: ImageGridPanel, fileName: string, ink = true): void {
  const image = gridImage(panel, GAP, ink);
  const native = document.createElement('canvas');
  [native.width, native.height] = [image.width, image.height];
  native.getContext('2d')!.putImageData(image, 0, 0);
  const scaled = document.createElement('canvas');
  [scaled.width, scaled.height] = [image.width * EXPORT_SCALE, image.height * EXPORT_SCALE];
  const context = scaled.getContext('2d')!;
  context.imageSmoothingEnabled = false;
  context.drawImage(native, 0, 0, scaled.width, scaled.height);
  const link = document.createElement('a');
  link.href = scaled.toDataURL('image/png');
  link.download = fileName;
  link.click();
}

export function ImageGrid({ panel }: { panel: ImageGridPanel }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const rows = Math.ceil(panel.count / panel.columns);
  const ink = useInk();

  useEffect(
    () =>
      paintQueue.paint(canvas, () => {
        const context = canvas.current?.getContext('2d');
        if (!context) return;
        const image = gridImage(panel, GAP, ink);
        // Resizing a canvas clears it and makes the page lay out again: only when the size changes.
        if (context.canvas.width !== image.width) context.canvas.width = image.width;
        if (context.canvas.height !== image.height) context.canvas.height = image.height;
        context.putImageData(image, 0, 0);
      }),
    [panel, ink],
  );

  const labels = panel.rowLabels;
  // width over height of the images alone, so that CSS can cap a tall grid's width by a screen height
  const aspect = (panel.columns * panel.width) / (rows * panel.height);
  return (
    <div className="image-grid" style={{ '--grid-aspect': aspect.toFixed(3) } as CSSProperties}>
      {labels && (
        <ol className="row-labels" style={{ gridTemplateRows: `repeat(${rows}, 1fr)` }} aria-hidden="true">
          {Array.from({ length: rows }, (_, row) => (
            <li key={row}>{labels[row % labels.length]}</li>
          ))}
        </ol>
      )}
      <canvas ref={canvas} role="img" aria-label={`${panel.title}: ${panel.count} images. ${panel.caption}`} data-testid={`grid-${panel.id}`} />
    </div>
  );
}
