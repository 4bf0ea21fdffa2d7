/**
 * PixelCNN++'s export (src/core/models/autoregressive/: pixelcnnpp-network.ts,
 * gated-resnet.ts, shifted-conv.ts, logistic-mixture.ts, masked-conv.ts): the same two
 * streams of shifted convolutions at three scales, every switch of the page (likelihood,
 * whole-pixel conditioning, downsampling, short-cuts, gated or plain blocks, dropout), the
 * same initial-weight distributions, held-out bits/dim on the app's 200 test images, and
 * value-by-value sampling from the mixture by the app's inverse-CDF draw.
 *
 * This file holds the parameter plan and the constants; the Python comes in parts:
 * ./pixelcnnpp-layers.ts, ./pixelcnnpp-mixture.ts, ./pixelcnnpp-network.ts (class Model)
 * and ./pixelcnnpp-sampler.ts (its sampling methods).
 *
 * Paper: T. Salimans, A. Karpathy, X. Chen and D. P. Kingma, "PixelCNN++: Improving the
 * PixelCNN with Discretized Logistic Mixture Likelihood and Other Modifications", ICLR
 * 2017. https://arxiv.org/abs/1701.05517
 */
import type { ExportRun, FamilyExport } from './families';
import { PIXELCNNPP_LAYERS } from './pixelcnnpp-layers';
import { PIXELCNNPP_MIXTURE } from './pixelcnnpp-mixture';
import { PIXELCNNPP_NETWORK } from './pixelcnnpp-network';
import { PIXELCNNPP_SAMPLER } from './pixelcnnpp-sampler';
import type { Layout, OptimizerPlan, ParamPlan } from './torch-layout';

/** The U-net's scales: H, H/2, H/4 (pixelcnnpp-network.ts's SCALES). */
const SCALES = 3;

/**
 * The parameters in the order the network creates them (PixelCnnPlusPlusNetwork's layers):
 * the three first layers; every residual block, the up pass's then the down pass's, scale by
 * scale, the u stream's blocks then the ul stream's, each its two convolutions then its
 * short-cut 1x1; the convolutions that shrink, then those that grow; the head.
 */
function params(run: ExportRun): ParamPlan[] {
  const { values, data } = run;
  const channels = data.kind === 'image' ? data.shape[2] : 1;
  const blocks = Number(values.blocks);
  const shortcuts = values.shortcuts === 'on';
  const downsample = values.downsampling === 'on';
  const wholePixel = values.likelihood === 'mixture' && values.conditioning === 'pixel' && channels > 1;
  const plan: ParamPlan[] = [];
  const layer = (name: string, layout: Layout) => plan.push({ name: `${name}.weight`, layout }, { name: `${name}.bias`, layout: 'as-is' });
  ['first_up', 'first_left', 'first_up_left'].forEach((name) => layer(name, 'conv'));
  for (const pass of ['up_pass', 'down_pass'] as const) {
    for (let scale = 0; scale < SCALES; scale++) {
      const count = pass === 'up_pass' || scale === SCALES - 1 ? blocks : blocks + 1;
      for (const stream of ['u', 'ul'] as const) {
        // the up pass's ul takes u in; the down pass's u takes the up pass's u (with short-cuts), its ul always something
        const hasShortcut = stream === 'ul' || (pass === 'down_pass' && shortcuts);
        for (let i = 0; i < count; i++) {
          const block = `${pass}.${scale}.${stream}.${i}`;
          layer(`${block}.first`, 'conv');
          layer(`${block}.second`, 'conv');
          if (hasShortcut) layer(`${block}.shortcut`, 'dense');
        }
      }
    }
  }
  for (let i = 0; i < SCALES - 1; i++) ['u', 'ul'].forEach((stream) => layer(`shrink.${i}.${stream}`, 'conv'));
  for (let i = 0; i < SCALES - 1; i++) ['u', 'ul'].forEach((stream) => layer(`grow.${i}.${stream}`, downsample ? 'conv-transpose' : 'conv'));
  layer('hidden', 'dense');
  if (wholePixel || channels === 1) {
    layer('output', 'dense');
  } else {
    layer('own_channels', 'conv');
    layer('output', 'conv');
  }
  return plan;
}

/** The constants the model section's parts read. */
const CONSTANTS = String.raw`
# The held-out figures' test images (autoregressive-model.ts), and the samples of the sample-quality figures
# (pixelcnnpp-spec.ts's qualitySamples: sampling is slow, and the usual 1,000 would take minutes)
HELD_OUT_SIZE = 200
QUALITY_SAMPLES_OF_MODEL = 300
# the U-net's scales: H, H/2, H/4
SCALES = 3
# half a bin of the mixture, in units of x = 2v/255 - 1; the bounds on log s (logistic-mixture.ts)
HALF_BIN = 1 / 255
MIN_LOG_SCALE, MAX_LOG_SCALE = -7.0, 7.0
# the windows of the residual blocks' convolutions, by stream
WINDOWS = {"down": (2, 3), "down-right": (2, 2)}
`;

// top-level definitions two blank lines apart (PEP 8); the sampler's methods end class Model
const MODEL = [CONSTANTS, PIXELCNNPP_LAYERS, PIXELCNNPP_MIXTURE, PIXELCNNPP_NETWORK + PIXELCNNPP_SAMPLER].join('\n');

export const PIXELCNNPP_EXPORT: FamilyExport = {
  models: ['pixelcnnpp'],
  layerKeys: ['likelihood', 'components', 'conditioning', 'downsampling', 'shortcuts', 'residual', 'filters', 'blocks'],
  optimizers(run): OptimizerPlan[] {
    // the model's state is { network: its Adam }
    return [{ id: 'network', statePrefix: 'network/', params: params(run) }];
  },
  // the sampling temperature is a view setting (no flag): the run's value
  modelSection: (run) => `\nSAMPLING_TEMPERATURE = ${Number(run.values.temperature ?? 1)}\n${MODEL}`,
};