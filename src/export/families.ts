/**
 * What a model family contributes to an export: which variables its checkpoint holds (in
 * order, with their PyTorch names and layouts) and the model section of train.py. Adding a
 * family is one file that exports a FamilyExport, and one line in EXPORT_FAMILIES
 * (./registry.ts).
 *
 * The model section defines `class Model(nn.Module)`, built from the parsed flags, with
 *   encoding                      how its batches are read: "unit" floats, or "binary-sampled"
 *   optimizer_groups(args)        {name: (named_parameters, lr, beta1, beta2)}, one Adam each
 * and either (one loss, one backward pass: trained under DistributedDataParallel)
 *   noise(n, generator)           the randomness of one step for n examples, {name: [n, ...]}
 *   forward(x, noise)             (loss, {term: scalar}): the mean over the batch, as the app's step
 * or (a step of its own, a GAN's)
 *   step_inputs(data, n, generator)                  {name: [n, ...]}: examples and noise of one step
 *   train_step(inputs, optimizers, reduce_gradients) {term: scalar}: updates, averaging gradients over processes
 * A one-loss model may define step_inputs too: its own draw of x and noise (PixelCNN++ keeps to
 * its first train_images training images).
 * Either may define held_out(data, index, device) ({figure: [len(index)]} per test example),
 * held_out_extra(data, device) (figures on their own subset), sample(n, generator),
 * quality_samples (samples the Frechet distance compares, where the app's spec takes fewer
 * than 1,000: its qualitySamples), and
 * unsharded (names of step inputs every torchrun process takes whole: the RBM's persistent
 * chains' uniforms). The section may define MODEL_FLAGS, [((names), {argparse options})],
 * flags of its own the page has no setting for (the RBM's --ais).
 */
import type { DataSpec } from '../core/datasets/catalog';
import type { RunConfig } from '../core/config';
import type { ParamValue } from '../core/params/schema';
import type { BufferPlan, NumberPlan, OptimizerPlan } from './torch-layout';

export interface ExportRun {
  config: RunConfig;
  data: DataSpec;
  /** Every value the model is built from (the run's over the defaults: modelValues). */
  values: Readonly<Record<string, ParamValue>>;
}

export interface FamilyExport {
  /** The model ids it exports. */
  models: readonly string[];
  /** Why a run with these settings cannot be exported yet, in a sentence; undefined: it can. */
  unsupported?(values: Readonly<Record<string, ParamValue>>): string | undefined;
  /** Settings that change the layers: changing them in train.py needs fresh weights. */
  layerKeys: readonly string[];
  /** Each optimizer's variables, in the checkpoint's order. */
  optimizers(run: ExportRun): OptimizerPlan[];
  /** Tensors kept beside the optimizers' (moving statistics), if any. */
  buffers?(run: ExportRun): BufferPlan[];
  /** Plain numbers of the checkpoint kept as 0-d arrays (a yes-or-no fact about the run), if any. */
  numbers?(run: ExportRun): NumberPlan[];
  /** The Python that defines Model (and what it needs). */
  modelSection(run: ExportRun): string;
}
