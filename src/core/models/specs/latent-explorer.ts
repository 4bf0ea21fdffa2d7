/**
 * The latent explorer's settings, shared by every model with an encoder (see
 * ../latent-explorer.ts): which test images it interpolates between and edits.
 */
import { defineParams } from '../../params/schema';

/** Which test images the explorer starts from; live, since they change no weights. */
export const EXPLORER_PARAMS = defineParams([
  {
    kind: 'int',
    key: 'from',
    label: 'First test image',
    help: 'Index of a test image: its code starts the interpolation, and the traversal and the sliders move it. Changed live.',
    default: 3,
    min: 0,
    max: 9944,
    live: true,
  },
  {
    kind: 'int',
    key: 'to',
    label: 'Second test image',
    help: 'Index of the test image whose code ends the interpolation. Changed live.',
    default: 2,
    min: 0,
    max: 9944,
    live: true,
  },
]);
