/**
 * Sliders over one test image's code. Moving one asks the worker to decode the edited
 * code (the controller keeps one request in flight); the image beside the sliders shows
 * the answer, next to the original. Native range inputs: keyboard and touch for free.
 */
import { useMemo } from 'react';
import type { ImageGridPanel, SlidersPanel } from '../../core/views/panels';
import { resetSliders, setSliders } from '../controller';
import { useStore } from '../store';
import { ImageGrid } from './ImageGrid';

const STEPS = 200;

/** Image `index` of a grid panel, as a panel of its own. */
function single(grid: ImageGridPanel, index: number, title: string): ImageGridPanel {
  const size = grid.height * grid.width * grid.channels;
  return { ...grid, id: `${grid.id}-${index}`, title, count: 1, columns: 1, pixels: grid.pixels.slice(index * size, (index + 1) * size) };
}

export function LatentSliders({ panel }: { panel: SlidersPanel }) {
  const sliders = useStore((state) => state.sliders);
  const edited = sliders?.panelTitle === panel.title ? sliders : undefined;
  const [original, reconstruction] = useMemo(() => [single(panel.images, 0, 'Test image'), single(panel.images, 1, 'Reconstruction')], [panel]);
  const values = edited?.values ?? Array.from(panel.values);
  const shown = edited?.panel ?? reconstruction;

  const move = (index: number, value: number) => setSliders(panel.title, values.map((old, k) => (k === index ? value : old)));

  return (
    <div className="latent-sliders" data-testid={`sliders-${panel.id}`}>
      <div className="slider-images">
        <div>
          <ImageGrid panel={original} />
          <p className="help">image</p>
        </div>
        <div aria-live="polite" data-testid="sliders-decoded">
          <ImageGrid panel={shown} />
          <p className="help">{edited ? 'edited code' : 'its code, decoded'}</p>
        </div>
      </div>
      <div className="slider-list">
        {panel.labels.map((label, k) => {
          const [min, max] = [panel.ranges[2 * k], panel.ranges[2 * k + 1]];
          const id = `slider-${panel.id}-${k}`;
          return (
            <div className="slider-row" key={label}>
              <label htmlFor={id}>{label}</label>
              <input
                id={id}
                type="range"
                min={min}
                max={max}
                step={(max - min) / STEPS}
                value={values[k]}
                onChange={(event) => move(k, Number(event.target.value))}
              />
              <output htmlFor={id}>{values[k].toFixed(2)}</output>
            </div>
          );
        })}
        <button type="button" onClick={resetSliders} disabled={!edited}>
          Back to the image's code
        </button>
      </div>
    </div>
  );
}
