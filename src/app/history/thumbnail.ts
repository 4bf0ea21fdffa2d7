/**
 * A small picture of a run's samples for the run list and the comparison: the first
 * images of its samples panel as a tile, or its sample points on a plane. PNG, as a data:
 * URL, so it is kept with the run and travels in its file.
 */
import type { ImageGridPanel, PointsPanel, ViewPanel } from '../../core/views/panels';
import { DATA_GREY, SERIES_COLORS } from '../palette';

const SIZE = 96;

/** The panel that best shows what the model makes: its samples, else its first images or points. */
export function samplesPanel(panels: readonly ViewPanel[]): ImageGridPanel | PointsPanel | undefined {
  const drawable = panels.filter((panel): panel is ImageGridPanel | PointsPanel => panel.kind === 'image-grid' || panel.kind === 'points');
  return drawable.find((panel) => panel.id === 'samples') ?? drawable[0];
}

export function thumbnailOf(panels: readonly ViewPanel[]): string | undefined {
  const panel = samplesPanel(panels);
  if (!panel || typeof document === 'undefined') return undefined;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = SIZE;
  const context = canvas.getContext('2d');
  if (!context) return undefined;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, SIZE, SIZE);
  if (panel.kind === 'image-grid') drawImages(context, panel);
  else drawPoints(context, panel);
  return canvas.toDataURL('image/png');
}

/** Up to 4x4 images, each scaled to a cell. */
function drawImages(context: CanvasRenderingContext2D, panel: ImageGridPanel): void {
  const side = Math.max(1, Math.min(4, Math.floor(Math.sqrt(panel.count))));
  const { height, width, channels } = panel;
  const tile = new ImageData(width * side, height * side);
  for (let index = 0; index < side * side; index++) {
    const [row, column] = [Math.floor(index / side), index % side];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const source = ((index * height + y) * width + x) * channels;
        const target = ((row * height + y) * width * side + column * width + x) * 4;
        for (let c = 0; c < 3; c++) tile.data[target + c] = panel.pixels[source + (channels >= 3 ? c : 0)];
        tile.data[target + 3] = 255;
      }
    }
  }
  const scratch = document.createElement('canvas');
  [scratch.width, scratch.height] = [tile.width, tile.height];
  scratch.getContext('2d')?.putImageData(tile, 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(scratch, 0, 0, SIZE, SIZE);
}

/** Every series as dots on a square frame around them all: the data grey, the model's in the palette's colours. */
function drawPoints(context: CanvasRenderingContext2D, panel: PointsPanel): void {
  const all = panel.series.flatMap((series) => Array.from(series.points));
  if (all.length === 0) return;
  const xs = all.filter((_, i) => i % 2 === 0);
  const ys = all.filter((_, i) => i % 2 === 1);
  const [xMin, xMax, yMin, yMax] = panel.extent ?? [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = (SIZE - 8) / Math.max(xMax - xMin, yMax - yMin, 1e-6);
  let colour = 0;
  for (const series of panel.series) {
    context.fillStyle = series.role === 'data' ? DATA_GREY : SERIES_COLORS[colour++ % SERIES_COLORS.length];
    for (let i = 0; i < series.points.length; i += 2) {
      context.fillRect(4 + (series.points[i] - xMin) * scale, SIZE - 4 - (series.points[i + 1] - yMin) * scale, 1.5, 1.5);
    }
  }
}
