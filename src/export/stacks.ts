/**
 * The parameters of the layer stacks that train.py builds (python-layers.ts), named as
 * PyTorch names them (`encoder.3.weight`: the module's position in its nn.Sequential),
 * in the order TF.js creates the same layers' variables (src/core/models/networks.ts):
 * kernel then bias, layer by layer. Each builder lists its modules exactly as the Python
 * builder of the same name appends them; the parity tests fail if the two drift apart.
 */
import type { Layout, ParamPlan } from './torch-layout';

/** A module in an nn.Sequential: one with a kernel and a bias, or one without parameters. */
type Module = Exclude<Layout, 'as-is'> | 'none';

/** The parameters of an nn.Sequential called `prefix` holding these modules. */
export function sequentialParams(prefix: string, modules: readonly Module[]): ParamPlan[] {
  return modules.flatMap((module, index) =>
    module === 'none' ? [] : [{ name: `${prefix}.${index}.weight`, layout: module }, { name: `${prefix}.${index}.bias`, layout: 'as-is' as const }],
  );
}

export function denseEncoderModules(hidden: readonly number[]): Module[] {
  // Flatten, [Linear, activation] per hidden layer, Linear
  return ['none', ...hidden.flatMap(() => ['dense', 'none'] as const), 'dense'];
}

export function denseDecoderModules(hidden: readonly number[], output: 'sigmoid' | 'linear'): Module[] {
  // [Linear, activation] per hidden layer, Linear, Sigmoid?, Unflatten
  return [...hidden.flatMap(() => ['dense', 'none'] as const), 'dense', ...(output === 'sigmoid' ? ['none' as const] : []), 'none'];
}

export function convEncoderModules(channels: readonly number[], outUnits: number): Module[] {
  // ChannelsFirst, [Conv, activation] per level, ChannelsLast, Flatten, Linear?
  return ['none', ...channels.flatMap(() => ['conv', 'none'] as const), 'none', 'none', ...(outUnits > 0 ? ['dense' as const] : [])];
}

/** shape: the image's [H, W, C]; the crop is there when the doubled map overshoots the image. */
export function convDecoderModules(shape: readonly number[], channels: readonly number[], inUnits: number, upsampling: string, output: 'sigmoid' | 'linear'): Module[] {
  const levels = channels.length;
  const small = [0, 1].map((axis) => {
    let n = shape[axis];
    for (let i = 0; i < levels; i++) n = Math.ceil(n / 2);
    return n;
  });
  const crops = small[0] * 2 ** levels !== shape[0] || small[1] * 2 ** levels !== shape[1];
  return [
    ...(inUnits > 0 ? (['dense', 'none'] as const) : []),
    'none', // Unflatten
    'none', // ChannelsFirst
    ...channels.flatMap(() => (upsampling === 'transpose' ? (['conv-transpose', 'none'] as const) : (['none', 'conv', 'none'] as const))),
    ...(crops ? ['none' as const] : []),
    'conv',
    ...(output === 'sigmoid' ? ['none' as const] : []),
    'none', // ChannelsLast
  ];
}
