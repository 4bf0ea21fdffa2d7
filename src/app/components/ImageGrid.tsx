/** A grid of images drawn at native resolution on a canvas and scaled up without smoothing. */
import { useEffect, useRef, type CSSProperties } from 'react';
import { findDataset } from '../../core/datasets/catalog';
import type { ImageGridPanel } from '../../core/views/panels';
import { useStore } from '../store';

const GAP = 1;
const EXPORT_SCALE = 4;

/**
 * Whether grey images read as dark ink on light paper (handwriting) rather than as stored
 * (clothes photographed light on dark): the dataset says, through its `look`.
 */
export function useInk(): boolean {
  const dataset = findDataset(useStore((state) => state.config.dataset));
  return dataset?.kind !== 'image' || dataset.look === 'ink';
}

/**
 * The panel's images as pixels, in a grid with `gap`-pixel white gaps (none: images that
 * tile a plane, as behind the latent scatter); grey ones inverted when `ink`.
 */
export function gridImage(panel: ImageGridPanel, gap = GAP, ink = true): ImageData {
  const { width, height, channels, columns, pixels, count } = panel;
  const rows = Math.ceil(count / columns);
  const image = new ImageData(columns * (width + gap) - gap, rows * (height + gap) - gap);
  image.data.fill(255);
  for (let n = 0; n < count; n++) {
    const left = (n % columns) * (width + gap);
    const top = Math.floor(n / columns) * (height + gap);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const source = ((n * height + y) * width + x) * channels;
        const target = ((top + y) * image.width + left + x) * 4;
        if (channels === 1) {
          // Dark ink on a light page reads better on a projector than white on black.
          const grey = ink ? 255 - pixels[source] : pixels[source];
          image.data[target] = image.data[target + 1] = image.data[target + 2] = grey;
        } else if (channels === 3 || channels === 4) {
          // RGBA over the white page, baked in: transparent parts look like the page, and the
          // saved PNG looks the same as the screen.
          const alpha = channels === 4 ? pixels[source + 3] / 255 : 1;
          for (let c = 0; c < 3; c++) image.data[target + c] = alpha * pixels[source + c] + (1 - alpha) * 255;
        } else {
          // A layout we do not know: its first channel as plain grey, rather than nothing.
          image.data[target] = image.data[target + 1] = image.data[target + 2] = pixels[source];
        }
        image.data[target + 3] = 255;
      }
    }
  }
  return image;
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

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const image = gridImage(panel, GAP, ink);
    // Resizing a canvas clears it and makes the page lay out again: only when the size changes.
    if (context.canvas.width !== image.width) context.canvas.width = image.width;
    if (context.canvas.height !== image.height) context.canvas.height = image.height;
    context.putImageData(image, 0, 0);
  }, [panel, ink]);

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
