/** The families that can be exported, one line each. */
import { AUTOENCODERS_EXPORT } from './autoencoders';
import { EBM_EXPORT } from './ebm';
import { GAN_EXPORT } from './gan';
import { PIXELCNN_EXPORT } from './pixelcnn';
import { PIXELCNNPP_EXPORT } from './pixelcnnpp';
import { PIXELRNN_EXPORT } from './pixelrnn';
import { RBM_EXPORT } from './rbm';
import type { FamilyExport } from './families';

export const EXPORT_FAMILIES: readonly FamilyExport[] = [AUTOENCODERS_EXPORT, GAN_EXPORT, PIXELCNN_EXPORT, PIXELCNNPP_EXPORT, PIXELRNN_EXPORT, EBM_EXPORT, RBM_EXPORT];

/** The family that exports this model, or undefined: its export is not written yet. */
export function exportFamilyOf(modelId: string): FamilyExport | undefined {
  return EXPORT_FAMILIES.find((family) => family.models.includes(modelId));
}
