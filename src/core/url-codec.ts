/**
 * Share links: the whole configuration in the URL hash, with readable keys,
 *   #model=ae&dataset=mnist&backend=auto&lr=0.001&batch=64&seed=1&bottleneck=2&hidden=256,64
 * Decoding never throws: a hand-edited or hostile link keeps its valid parts, falls back to
 * defaults for the rest, and says what it ignored. Values are only ever parsed, never
 * rendered as HTML.
 */
import { BACKEND_CHOICES, defaultConfig, paramsFor, type BackendChoice, type RunConfig } from './config';
import { DATASETS, findDataset } from './datasets/catalog';
import { findModel, MODELS } from './models';
import { acceptsData } from './models/model';
import { formatParam, parseParam } from './params/schema';
import { didYouMean, quote } from './quote';

export interface DecodedLink {
  config: RunConfig;
  /** What was ignored, in words a person can act on. Empty for a clean link. */
  warnings: string[];
}

const MAX_HASH_LENGTH = 4000;
/** Warnings listed one by one; past this, the rest are counted, so a hostile link cannot fill the page. */
export const MAX_WARNINGS = 10;
/** Keys that are not parameters. */
const FIXED_KEYS = ['model', 'dataset', 'backend'];

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

export function encodeLink(config: RunConfig): string {
  const pairs: [string, string][] = [
    ['model', config.model],
    ['dataset', config.dataset],
    ['backend', config.backend],
  ];
  for (const spec of paramsFor(config.model, config.dataset)) {
    if (spec.key in config.values) pairs.push([spec.key, formatParam(spec, config.values[spec.key])]);
  }
  // Commas and dots stay readable; everything else a person could type is escaped.
  return pairs.map(([key, value]) => `${key}=${encodeURIComponent(value).replace(/%2C/gi, ',')}`).join('&');
}

/** A key that is a setting of this model on some other dataset (a setting for images, on points). */
function isSettingElsewhere(modelId: string, key: string): boolean {
  return DATASETS.some((dataset) => paramsFor(modelId, dataset.id).some((spec) => spec.key === key));
}

export function decodeLink(hash: string): DecodedLink {
  const warnings: string[] = [];
  let text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (text.length > MAX_HASH_LENGTH) {
    warnings.push(`The link was too long; only its first ${MAX_HASH_LENGTH} characters were read.`);
    text = text.slice(0, MAX_HASH_LENGTH);
  }
  const entries = new Map<string, string>();
  for (const part of text.split('&')) {
    if (part === '') continue;
    const separator = part.indexOf('=');
    const key = safeDecode(separator < 0 ? part : part.slice(0, separator));
    const value = separator < 0 ? undefined : safeDecode(part.slice(separator + 1));
    if (key === undefined || value === undefined) {
      warnings.push(`Ignored ${quote(part)}: not a key=value pair.`);
      continue;
    }
    if (entries.has(key)) warnings.push(`${quote(key)} was given twice; the last value was used.`);
    entries.set(key, value);
  }

  const modelId = entries.get('model');
  const model = modelId === undefined ? undefined : findModel(modelId);
  if (modelId !== undefined && !model) warnings.push(`Unknown model ${quote(modelId)}${didYouMean(modelId, MODELS.map((m) => m.id))}; using the default model.`);
  const config = defaultConfig(model?.id);

  const datasetId = entries.get('dataset');
  if (datasetId !== undefined) {
    const dataset = findDataset(datasetId);
    // the link's model, or the default one that replaced an unknown model
    const fits = dataset ? acceptsData(findModel(config.model)!, dataset) : true;
    if (dataset && fits === true) Object.assign(config, defaultConfig(config.model, dataset.id));
    else if (dataset) warnings.push(`${fits}; using ${findDataset(config.dataset)?.name ?? config.dataset} instead.`);
    else warnings.push(`Unknown dataset ${quote(datasetId)}${didYouMean(datasetId, DATASETS.map((d) => d.id))}; using ${config.dataset}.`);
  }

  const backend = entries.get('backend');
  if (backend !== undefined) {
    if ((BACKEND_CHOICES as readonly string[]).includes(backend)) config.backend = backend as BackendChoice;
    else warnings.push(`Unknown backend ${quote(backend)}${didYouMean(backend, BACKEND_CHOICES)}; choosing automatically.`);
  }

  const specs = paramsFor(config.model, config.dataset);
  for (const [key, value] of entries) {
    if (FIXED_KEYS.includes(key)) continue;
    const spec = specs.find((candidate) => candidate.key === key);
    if (!spec) {
      warnings.push(
        isSettingElsewhere(config.model, key)
          ? `Ignored ${quote(key)}: it does not apply to ${config.dataset}.`
          : `Ignored unknown setting ${quote(key)}${didYouMean(key, specs.map((candidate) => candidate.key))}.`,
      );
      continue;
    }
    const result = parseParam(spec, value);
    if (result.ok) config.values[key] = result.value;
    else warnings.push(`${spec.label} ${quote(value)} ${result.reason}; kept the default, ${formatParam(spec, spec.default)}.`);
  }
  if (warnings.length > MAX_WARNINGS) {
    const rest = warnings.length - MAX_WARNINGS;
    warnings.splice(MAX_WARNINGS, rest, `…and ${rest} more problem${rest === 1 ? '' : 's'} in the link.`);
  }
  return { config, warnings };
}
