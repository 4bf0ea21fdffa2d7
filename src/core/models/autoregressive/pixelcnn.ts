/**
 * PixelCNN.
 *
 * Paper: A. van den Oord, N. Kalchbrenner and K. Kavukcuoglu, "Pixel Recurrent Neural
 * Networks", ICML 2016. https://arxiv.org/abs/1601.06759
 *
 * Masked convolutions (./masked-conv.ts) keep each prediction from seeing the value it
 * predicts or any after it (./pixelcnn-network.ts), or in the gated PixelCNN two stacks of
 * shifted convolutions that leave no blind spot (./gated-pixelcnn-network.ts); the model
 * around the network, shared by every autoregressive family, is ./autoregressive-model.ts.
 */
import type { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import type { ParamValues } from '../../params/schema';
import { implement, type ModelFactory } from '../model';
import { autoregressiveModel } from './autoregressive-model';
import { GatedPixelCnnNetwork } from './gated-pixelcnn-network';
import { PixelCnnNetwork } from './pixelcnn-network';
import { PIXELCNN, PIXELCNN_PARAMS } from './pixelcnn-spec';

type PixelCnnValues = ParamValues<typeof PIXELCNN_PARAMS> & ParamValues<typeof ADAM_OPTIMIZER>;

export const PIXELCNN_FACTORY: ModelFactory = implement<typeof PIXELCNN_PARAMS>(PIXELCNN, (values, context) => {
  const { layers, filters, kernel, first_kernel, architecture } = values as unknown as PixelCnnValues;
  const size = { layers, filters, kernel: Number(kernel), firstKernel: Number(first_kernel) };
  return autoregressiveModel(values as unknown as PixelCnnValues, context, (shape, categories, random) =>
    architecture === 'gated' ? new GatedPixelCnnNetwork(shape, size, categories, random) : new PixelCnnNetwork(shape, size, categories, random),
  );
});
