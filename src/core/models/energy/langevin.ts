/**
 * Langevin dynamics: samples from p(x) proportional to exp(-E(x)) by walking downhill on
 * the energy with noise,
 *   x <- x - step * grad E(x) + noise * N(0, I),
 * which for noise = sqrt(2 step) and small steps leaves p(x) unchanged (Welling and Teh
 * 2011, "Bayesian Learning via Stochastic Gradient Langevin Dynamics",
 * https://www.stats.ox.ac.uk/~teh/research/compstats/WelTeh2011a.pdf). Deep EBMs run it
 * short and loose (Du and Mordatch 2019; Nijkamp et al. 2019): a few dozen steps, less
 * noise than that, and the gradient clipped, so a chain never jumps out of the frame.
 */
import * as tf from '@tensorflow/tfjs';
import { normalNoise } from '../../normal-noise';
import { langevinMove } from '../../wasm-heap-langevin';
import type { Random } from '../../random';
import type { InputGradient } from '../input-gradient';

export interface LangevinSettings {
  steps: number;
  /** How far a chain moves down the (clipped) gradient each step. */
  stepSize: number;
  /** Standard deviation of the noise added each step. */
  noise: number;
  /** Each gradient component clipped to [-clip, clip]; 0: no clipping. */
  clip: number;
  /** Values kept in [low, high] (pixels in [0, 1]); absent: unbounded (points). */
  bounds?: readonly [number, number];
}

/**
 * Energies of a batch: [B, ...] -> [B]; with `inputGradient`, the gradient of their sum
 * with respect to x written out (../input-gradient.ts), which the walk then takes instead of
 * the tape's.
 */
export type EnergyFunction = ((x: tf.Tensor) => tf.Tensor1D) & { inputGradient?: InputGradient };

/**
 * Values held fixed while the rest walk (inpainting): where `keep` is 1 the chain stays at
 * `values`. The free values then sample p(free | kept), proportional to exp(-E) with the
 * kept ones fixed. Both shaped like the chains.
 */
export interface Clamp {
  values: tf.Tensor;
  keep: tf.Tensor;
}

/** One Langevin step from x (x is left to the caller): the next positions, a new tensor. */
export function langevinStep(energy: EnergyFunction, x: tf.Tensor, settings: LangevinSettings, random: Random, clamp?: Clamp): tf.Tensor {
  return tf.tidy(() => {
    // the energies of a batch are independent, so the gradient of their sum is each example's own gradient
    const gradient = energy.inputGradient ? energy.inputGradient(x) : tf.grad((input: tf.Tensor) => energy(input).sum())(x);
    // x - step * clip(grad E(x)) + noise * N(0, I), kept in bounds: on WASM one kernel (../../wasm-heap-langevin.ts);
    // the noise drawn by ../../normal-noise.ts, twice as fast as tf.randomNormal
    const noise = normalNoise(x.shape, settings.noise, random.seed());
    const [low, high] = settings.bounds ?? [];
    const bounded = langevinMove(x, gradient, noise, { stepSize: settings.stepSize, clip: settings.clip, low, high });
    // x = keep * kept + (1 - keep) * moved
    return clamp ? clamp.keep.mul(clamp.values).add(tf.onesLike(clamp.keep).sub(clamp.keep).mul(bounded)) : bounded;
  });
}

/** `settings.steps` Langevin steps from `start` (left to the caller); `each` sees every position after a step (for drawing chains). */
export async function langevin(
  energy: EnergyFunction,
  start: tf.Tensor,
  settings: LangevinSettings,
  random: Random,
  each?: (x: tf.Tensor, step: number) => Promise<void>,
  clamp?: Clamp,
): Promise<tf.Tensor> {
  let x = start.clone();
  for (let step = 1; step <= settings.steps; step++) {
    const next = langevinStep(energy, x, settings, random, clamp);
    x.dispose();
    x = next;
    if (each) await each(x, step);
  }
  return x;
}

/** The same walk, synchronously: inside a training step, which must not await. */
export function langevinNow(energy: EnergyFunction, start: tf.Tensor, settings: LangevinSettings, random: Random, clamp?: Clamp): tf.Tensor {
  let x = start.clone();
  for (let step = 1; step <= settings.steps; step++) {
    const next = langevinStep(energy, x, settings, random, clamp);
    x.dispose();
    x = next;
  }
  return x;
}

/**
 * The temperature T whose density exp(-E/T) the walk leaves unchanged (for small steps,
 * without clipping): the drift -s grad E balances the diffusion sigma^2 / 2 when
 * T = sigma^2 / (2 s). Short-run EBMs use less noise than sqrt(2 s), so they sample a
 * colder, sharper density than exp(-E): their energies can stay small.
 */
export function samplingTemperature({ stepSize, noise }: Pick<LangevinSettings, 'stepSize' | 'noise'>): number {
  // no noise: pure descent, the coldest limit; a floor keeps exp(-E/T) finite
  return Math.max((noise * noise) / (2 * stepSize), 1e-6);
}
