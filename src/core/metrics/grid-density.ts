/**
 * Densities of the plane compared on a grid: the model's normalised density exp(-E)/Z,
 * with Z summed over the grid's cells, against the data's, estimated from its test points
 * with a Gaussian kernel as wide as a cell (or as the data's own noise, if wider). Both are
 * known only at the grid's resolution, so the KL divergence between them says how well the
 * model puts its mass where the data is, at that resolution.
 */

/**
 * exp(-E/T)/Z over the cells: a softmax of -E/T, computed stably. [cells] -> [cells],
 * summing to 1. T = 1 is the model's density as written; Langevin dynamics with step s
 * and noise sigma draws from T = sigma^2 / (2 s) (see langevin.ts), which is what the
 * model's samples follow.
 */
export function boltzmannDensity(energies: Float32Array, temperature = 1): Float32Array {
  let lowest = Infinity;
  for (const energy of energies) if (energy < lowest) lowest = energy;
  const density = Float32Array.from(energies, (energy) => Math.exp(-(energy - lowest) / temperature));
  const total = density.reduce((sum, value) => sum + value, 0);
  return density.map((value) => value / total);
}

/** The data's density at the cell centres `grid` ([cells, 2] interleaved) from `points`, a kernel of width `bandwidth`; sums to 1. */
export function kernelDensity(points: Float32Array, grid: Float32Array, bandwidth: number): Float32Array {
  const cells = grid.length / 2;
  const density = new Float32Array(cells);
  const scale = -1 / (2 * bandwidth * bandwidth);
  for (let c = 0; c < cells; c++) {
    const [gx, gy] = [grid[2 * c], grid[2 * c + 1]];
    let sum = 0;
    for (let i = 0; i < points.length; i += 2) {
      const [dx, dy] = [points[i] - gx, points[i + 1] - gy];
      sum += Math.exp((dx * dx + dy * dy) * scale);
    }
    density[c] = sum;
  }
  const total = density.reduce((sum, value) => sum + value, 0);
  return density.map((value) => value / total);
}

/** KL(p || q) = sum p log(p / q) in nats, over cells; q floored so that an empty model cell costs a lot but not infinity. */
export function gridKl(p: Float32Array, q: Float32Array): number {
  let kl = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) kl += p[i] * Math.log(p[i] / Math.max(q[i], 1e-12));
  return kl;
}
