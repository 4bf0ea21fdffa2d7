/** bench:threads' command line (./bench-threads.ts). */
import { findModel } from '../core/models';
import { PYTORCH_ISAS, type PyTorchIsa } from './pytorch-isa';

export const CONVOLUTIONAL = ['conv-ae', 'gan', 'pixelcnn', 'pixelcnnpp', 'pixelrnn', 'ebm'];

export const THREADS_USAGE = 'usage: npm run bench:threads -- [--models ebm,gan] [--cores N] [--steps N] [--rounds N] [--no-build] [--pytorch] [--pytorch-isa avx2]';

export interface ThreadOptions {
  models: string[];
  cores: number;
  steps: number;
  rounds: number;
  build: boolean;
  /** PyTorch's step too, in the same turns: on one thread and on as many as the page's "now" step ran on. */
  pytorch: boolean;
  pytorchIsa?: PyTorchIsa;
}

/** The options, or a usage error for any flag it does not know, a model it does not know, or a count that is not a positive whole number. */
export function parseThreadOptions(argv: string[], machineCores: number): ThreadOptions {
  const options: ThreadOptions = { models: CONVOLUTIONAL, cores: machineCores, steps: 15, rounds: 2, build: true, pytorch: false };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const count = Number(value);
    if (flag === '--no-build') options.build = false;
    else if (flag === '--pytorch') options.pytorch = true;
    else if (flag === '--pytorch-isa' && PYTORCH_ISAS.includes(value as PyTorchIsa)) [options.pytorchIsa, options.pytorch, i] = [value as PyTorchIsa, true, i + 1];
    else if (flag === '--models' && value && !value.startsWith('--')) {
      const asked = value.split(',').filter(Boolean);
      const unknown = asked.filter((id) => !findModel(id));
      if (unknown.length || asked.length === 0) throw new Error(`${THREADS_USAGE} (no model ${unknown.join(', ') || value})`);
      [options.models, i] = [asked, i + 1];
    }
    else if ((flag === '--cores' || flag === '--steps' || flag === '--rounds') && Number.isInteger(count) && count >= 1) [options[flag.slice(2) as 'cores' | 'steps' | 'rounds'], i] = [count, i + 1];
    else throw new Error(`${THREADS_USAGE} (not ${flag}${value === undefined ? '' : ` ${value}`})`);
  }
  return options;
}
