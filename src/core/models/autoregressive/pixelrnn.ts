/**
 * PixelRNN.
 *
 * Paper: A. van den Oord, N. Kalchbrenner and K. Kavukcuoglu, "Pixel Recurrent Neural
 * Networks", ICML 2016, section 3. https://arxiv.org/abs/1601.06759
 *
 * LSTM layers read the image in raster order and carry what they read in their state:
 * the Row LSTM (./row-lstm.ts) a row at a time, the Diagonal BiLSTM (./diagonal-bilstm.ts)
 * a diagonal at a time from both sides; ./pixelrnn-network.ts stacks them with residual
 * connections. The model around the network, shared by every autoregressive family, is
 * ./autoregressive-model.ts.
 */
import type { ADAM_OPTIMIZER } from '../../params/optimizer-params';
import type { ParamValues } from '../../params/schema';
import { implement, type ModelFactory } from '../model';
import { autoregressiveModel, type AutoregressiveValues } from './autoregressive-model';
import { PixelRnnNetwork } from './pixelrnn-network';
import { PIXELRNN, PIXELRNN_PARAMS } from './pixelrnn-spec';

type PixelRnnValues = ParamValues<typeof PIXELRNN_PARAMS> & ParamValues<typeof ADAM_OPTIMIZER>;

export const PIXELRNN_FACTORY: ModelFactory = implement<typeof PIXELRNN_PARAMS>(PIXELRNN, (values, context) => {
  const { layer, layers, units, first_kernel } = values as unknown as PixelRnnValues;
  const size = { layer, layers, units, firstKernel: Number(first_kernel) };
  return autoregressiveModel(values as unknown as AutoregressiveValues, context, (shape, categories, random) => new PixelRnnNetwork(shape, size, categories, random));
});
