/** A model's demonstrations as share links: the defaults for its data, with the demonstration's settings over them. */
import { defaultConfig } from './config';
import type { ModelSpec } from './models/model';
import { encodeLink } from './url-codec';

export function demonstrationLink(model: ModelSpec, id: string): string {
  const demonstration = model.demonstrations?.find((candidate) => candidate.id === id);
  if (!demonstration) throw new Error(`${model.name} has no demonstration "${id}"`);
  const config = defaultConfig(model.id, demonstration.dataset);
  return `#${encodeLink({ ...config, values: { ...config.values, ...demonstration.values } })}`;
}
