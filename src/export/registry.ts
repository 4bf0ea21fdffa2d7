/** The families that can be exported, one line each. */
import { AUTOENCODERS_EXPORT } from './autoencoders';
import { GAN_EXPORT } from './gan';
import type { FamilyExport } from './families';

export const EXPORT_FAMILIES: readonly FamilyExport[] = [AUTOENCODERS_EXPORT, GAN_EXPORT];

/** The family that exports this model, or undefined: its export is not written yet. */
export function exportFamilyOf(modelId: string): FamilyExport | undefined {
  return EXPORT_FAMILIES.find((family) => family.models.includes(modelId));
}
