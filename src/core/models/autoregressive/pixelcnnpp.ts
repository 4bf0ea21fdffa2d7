/**
 * PixelCNN++.
 *
 * Paper: T. Salimans, A. Karpathy, X. Chen and D. P. Kingma, "PixelCNN++: Improving the
 * PixelCNN with Discretized Logistic Mixture Likelihood and Other Modifications", ICLR
 * 2017. https://arxiv.org/abs/1701.05517
 *
 * The network (./pixelcnnpp-network.ts) and its likelihood (./logistic-mixture.ts) are
 * this model's own; the model around them, shared by every autoregressive family (Adam,
 * held-out bits/dim, samples, completions, the receptive field), is
 * ./autoregressive-model.ts. 8-bit data only: the mixture describes values 0..255.
 */
import type { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import type { ParamValues } from '../../params/schema';
import { implement, type ModelFactory } from '../model';
import { autoregressiveModel } from './autoregressive-model';
import { PixelCnnPlusPlusNetwork } from './pixelcnnpp-network';
import { PIXELCNNPP, PIXELCNNPP_PARAMS } from './pixelcnnpp-spec';

type PixelCnnPlusPlusValues = ParamValues<typeof PIXELCNNPP_PARAMS> & ParamValues<typeof ADAM_OPTIMIZER>;

export const PIXELCNNPP_FACTORY: ModelFactory = implement<typeof PIXELCNNPP_PARAMS>(PIXELCNNPP, (values, context) => {
  const settings = values as unknown as PixelCnnPlusPlusValues;
  const options = {
    filters: settings.filters,
    blocks: settings.blocks,
    likelihood: settings.likelihood,
    components: settings.components,
    wholePixel: settings.conditioning === 'pixel',
    downsample: settings.downsampling === 'on',
    shortcuts: settings.shortcuts === 'on',
    gated: settings.residual === 'gated',
    dropout: settings.dropout,
  };
  // 8-bit values only: the spec has no setting for binarized data, so the model reads bytes; train_images reaches the shared model's batches
  return autoregressiveModel(settings, context, (shape, _categories, random) => new PixelCnnPlusPlusNetwork(shape, options, random));
});
