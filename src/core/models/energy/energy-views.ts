/**
 * What an energy-based model shows on the plane: its energy landscape (a heatmap with
 * contour lines, the data, and where its chains stand), its normalised density beside the
 * data's, its samples, and Langevin chains rolling downhill.
 */
import type { PointsDataset } from '../../datasets/points';
import { contourSegments, evenLevels } from '../../views/contours';
import type { FieldPanel, PointsPanel } from '../../views/panels';
import { frameOf, polylinesAsSegments, samplesPointsPanel, SHOWN } from '../../views/plane-panels';

/** Resolution of the landscape and the densities. */
export const FIELD_CELLS = 48;
const CONTOURS = 8;

/**
 * The colour scale of an energy: from its lowest value to its 90th percentile. The frame's
 * corners can sit tens of units above the valleys, and a scale to the very top would paint
 * every valley the same dark.
 */
function energyRange(energies: Float32Array): [number, number] {
  const sorted = Float32Array.from(energies).sort();
  const [low, high] = [sorted[0], sorted[Math.floor(0.9 * (sorted.length - 1))]];
  return high > low ? [low, high] : [low - 0.5, low + 0.5];
}

const formatTemperature = (t: number) => (t >= 0.1 ? t.toFixed(2) : t.toPrecision(2));

const dataSeries = (data: PointsDataset) => ({ label: 'data (test points)', points: data.coordinates('test', SHOWN), role: 'data' as const });

/** The energy over the plane, contour lines, the data and the replay buffer's samples. */
export function energyField(data: PointsDataset, energies: Float32Array, buffered: Float32Array): FieldPanel {
  const extent = frameOf(data);
  return {
    kind: 'field',
    id: 'energy',
    title: 'The energy landscape',
    caption: 'E(x) at every place in the plane (dark: low energy, where the model puts its samples), with contour lines, the data, and where the training chains stand now (the replay buffer).',
    values: energies,
    rows: FIELD_CELLS,
    columns: FIELD_CELLS,
    extent,
    valueLabel: 'E(x), the energy (low: likely)',
    range: energyRange(energies),
    series: [
      dataSeries(data),
      { label: 'contour lines of E', points: contourSegments(energies, FIELD_CELLS, FIELD_CELLS, extent, evenLevels(energies, CONTOURS)), style: 'segments' },
      { label: 'training chains (replay buffer)', points: buffered },
    ],
    axisLabels: ['x1', 'x2'],
  };
}

/** The model's density exp(-E)/Z on the grid beside the data's, on one colour scale. */
export function densityPanels(data: PointsDataset, model: Float32Array, reference: Float32Array, temperature: number): FieldPanel[] {
  const extent = frameOf(data);
  let high = 0;
  for (const value of [...model, ...reference]) high = Math.max(high, value);
  const panel = (id: string, title: string, caption: string, values: Float32Array): FieldPanel => ({
    kind: 'field',
    id,
    title,
    caption,
    values,
    rows: FIELD_CELLS,
    columns: FIELD_CELLS,
    extent,
    valueLabel: 'probability of the cell',
    range: [0, high],
    axisLabels: ['x1', 'x2'],
  });
  return [
    panel(
      'model-density',
      "The model's density",
      `exp(-E(x) / T) / Z, with Z the sum over the ${FIELD_CELLS} x ${FIELD_CELLS} cells and T = ${formatTemperature(temperature)}, the temperature its Langevin sampler draws at (noise^2 / (2 step size)): where the model says the data is. Same colour scale as the data's beside it.`,
      model,
    ),
    panel('data-density', "The data's density", "The test points' density on the same grid (a Gaussian kernel as wide as a cell): what the model's should look like.", reference),
  ];
}

export function samplesPanel(data: PointsDataset, samples: Float32Array, steps: number): PointsPanel {
  return samplesPointsPanel(data, samples, `Points from ${steps} Langevin steps each, started from uniform noise over the frame, beside the data.`);
}

/** Langevin chains so far: each chain's path, and where it stands, over the energy landscape. */
export function chainsPanel(data: PointsDataset, energies: Float32Array, paths: Float32Array[], step: number, steps: number): FieldPanel {
  const ends = Float32Array.from(paths.flatMap((path) => [path[path.length - 2], path[path.length - 1]]));
  return {
    kind: 'field',
    id: 'new-samples',
    title: 'Langevin chains',
    caption: `Chains started from noise, walking down the energy with a little noise: step ${step} of ${steps}.`,
    // a copy for every frame: each frame's arrays are transferred to the page
    values: energies.slice(),
    rows: FIELD_CELLS,
    columns: FIELD_CELLS,
    extent: frameOf(data),
    valueLabel: 'E(x), the energy (low: likely)',
    range: energyRange(energies),
    series: [polylinesAsSegments(paths, 'paths of the chains'), { label: 'where the chains are', points: ends }],
    axisLabels: ['x1', 'x2'],
  };
}
