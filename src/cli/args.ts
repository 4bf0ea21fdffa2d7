/**
 * Command-line arguments shared by the runner and the benchmark:
 *   --model ae --dataset mnist --steps 500 --backend cpu|wasm --set key=value ...
 * Values go through the same schemas as share links, so the same ranges apply.
 */
import { datasetsFor, defaultConfig, paramsFor, sanitizeConfig, type RunConfig } from '../core/config';
import { DATASETS, findDataset } from '../core/datasets/catalog';
import { findModel, MODELS } from '../core/models';
import { acceptsData } from '../core/models/model';
import { parseParam } from '../core/params/schema';
import { didYouMean, quote } from '../core/quote';
import { NODE_BACKENDS, type NodeBackend } from './node-backend';

export interface CliOptions {
  config: RunConfig;
  steps: number;
  logEvery: number;
  evalEvery: number;
  backend: NodeBackend;
  out?: string;
}

export class UsageError extends Error {}

/** Asked for with --help: the usage, models, datasets and settings, then exit 0. */
export class HelpRequested extends Error {}

export const USAGE = 'usage: npm run train -- --model ae --dataset mnist --steps 500 [--backend wasm|cpu] [--log-every N] [--eval-every N] [--out FILE] [--set key=value ...]';

/** The runner's help: every flag, model and dataset, and where settings come from. */
export function helpText(): string {
  return [
    USAGE,
    '',
    '  --model ID        ' + MODELS.map((m) => m.id).join(', ') + ` (default ${MODELS[0].id})`,
    '  --dataset ID      ' + DATASETS.map((d) => d.id).join(', ') + " (default: the model's first)",
    '  --steps N         training steps (default 500)',
    '  --backend NAME    wasm (default, fast) or cpu (plain JavaScript)',
    '  --log-every N     one JSON line every N steps, each term averaged over them (default 50)',
    '  --eval-every N    held-out figures every N steps (default: with every line)',
    '  --out FILE        also write the JSON lines to FILE',
    '  --set key=value   any setting of the share links, e.g. --set lr=0.002 --set hidden=256,64',
    '  --help            this text',
    '',
    'Settings of a model on a dataset: npm run train -- --model vae --dataset mnist --set nope=1 lists them.',
  ].join('\n');
}

function takeValue(argv: string[], index: number, flag: string): string {
  const value = argv[index + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  return value;
}

function positiveInt(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive whole number, not ${quote(text)}`);
  return value;
}

export function parseCliArgs(argv: string[], defaults: { steps: number } = { steps: 500 }): CliOptions {
  let model = MODELS[0].id;
  let dataset: string | undefined;
  let backend: NodeBackend = 'wasm';
  let steps = defaults.steps;
  let logEvery = 50;
  let evalEvery = 0;
  let out: string | undefined;
  const sets: [string, string][] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    switch (flag) {
      case '--help':
      case '-h':
        throw new HelpRequested(helpText());
      case '--model':
        model = takeValue(argv, i++, flag);
        if (!findModel(model)) throw new UsageError(`unknown model ${quote(model)}${didYouMean(model, MODELS.map((m) => m.id))}; known: ${MODELS.map((m) => m.id).join(', ')}`);
        break;
      case '--dataset':
        dataset = takeValue(argv, i++, flag);
        if (!DATASETS.some((d) => d.id === dataset)) throw new UsageError(`unknown dataset ${quote(dataset)}${didYouMean(dataset, DATASETS.map((d) => d.id))}; known: ${DATASETS.map((d) => d.id).join(', ')}`);
        break;
      case '--backend': {
        const value = takeValue(argv, i++, flag);
        if (!(NODE_BACKENDS as readonly string[]).includes(value)) throw new UsageError(`--backend must be one of ${NODE_BACKENDS.join(', ')}`);
        backend = value as NodeBackend;
        break;
      }
      case '--steps':
        steps = positiveInt(takeValue(argv, i++, flag), flag);
        break;
      case '--log-every':
        logEvery = positiveInt(takeValue(argv, i++, flag), flag);
        break;
      case '--eval-every':
        evalEvery = positiveInt(takeValue(argv, i++, flag), flag);
        break;
      case '--out':
        out = takeValue(argv, i++, flag);
        break;
      case '--set': {
        const pair = takeValue(argv, i++, flag);
        const separator = pair.indexOf('=');
        if (separator < 1) throw new UsageError(`--set takes key=value, not ${quote(pair)}`);
        sets.push([pair.slice(0, separator), pair.slice(separator + 1)]);
        break;
      }
      default:
        throw new UsageError(`unknown argument ${quote(flag)}`);
    }
  }
  dataset ??= datasetsFor(findModel(model)!)[0].id;
  const fits = acceptsData(findModel(model)!, findDataset(dataset)!);
  if (fits !== true) throw new UsageError(`${fits}; datasets for ${model}: ${datasetsFor(findModel(model)!).map((d) => d.id).join(', ')}`);
  const config = defaultConfig(model, dataset);
  config.backend = backend;
  const specs = paramsFor(model, dataset);
  for (const [key, text] of sets) {
    const spec = specs.find((candidate) => candidate.key === key);
    if (!spec) throw new UsageError(`${quote(key)} is not a setting of ${model} on ${dataset}; settings: ${specs.map((s) => s.key).join(', ')}`);
    const result = parseParam(spec, text);
    if (!result.ok) throw new UsageError(`${key} ${result.reason}`);
    config.values[key] = result.value;
  }
  return { config: sanitizeConfig(config).config, steps, logEvery, evalEvery: evalEvery || logEvery, backend, out };
}
