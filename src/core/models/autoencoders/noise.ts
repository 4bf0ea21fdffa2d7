/**
 * The corruptions of the denoising autoencoder. Vincent et al. (ICML 2008) mask a fixed
 * number of inputs; their JMLR 2010 follow-up ("Stacked Denoising Autoencoders") adds
 * additive Gaussian and salt-and-pepper noise. Each is a pure function of the images
 * [B, H, W, C] in [0, 1], a level and a seed, so a run is reproducible and a held-out
 * evaluation can corrupt the same test images the same way every time. Every function
 * returns a new tensor, which the caller disposes (level 0 included: no special case).
 *
 * Each pixel is hit independently with probability f, rather than exactly f*d pixels an
 * image as in the 2008 paper: the count then varies by a few pixels around f*d, which
 * changes nothing that matters and needs no per-image shuffle.
 *
 * Masking and salt-and-pepper act on whole pixels (one draw a pixel, shared by its
 * channels): a colour pixel is lost or saturated as a unit, which is what "a fraction of
 * the pixels" means to a person looking at the image.
 */
import * as tf from '@tensorflow/tfjs';

export type NoiseKind = 'gaussian' | 'masking' | 'salt-pepper';

/** One uniform draw u in [0, 1) a pixel: [B, H, W, 1], broadcast over the channels. */
function pixelUniforms(images: tf.Tensor4D, seed: number): tf.Tensor4D {
  const [batch, height, width] = images.shape;
  return tf.randomUniform([batch, height, width, 1], 0, 1, 'float32', seed);
}

/** x~ = clip(x + sigma * eps, 0, 1), eps ~ N(0, 1) independently for every value. */
export function gaussianNoise(images: tf.Tensor4D, sigma: number, seed: number): tf.Tensor4D {
  if (sigma === 0) return images.clone();
  // clipping keeps x~ a valid image; it shrinks the noise only near black and white
  return tf.tidy(() => images.add(tf.randomNormal(images.shape, 0, sigma, 'float32', seed)).clipByValue(0, 1) as tf.Tensor4D);
}

/** x~ = x * m, m = 0 with probability `fraction` (the pixel is lost), else 1. */
export function maskingNoise(images: tf.Tensor4D, fraction: number, seed: number): tf.Tensor4D {
  if (fraction === 0) return images.clone();
  return tf.tidy(() => images.mul(pixelUniforms(images, seed).greaterEqual(fraction).toFloat()));
}

/**
 * With probability `fraction` a pixel is set to 0 or to 1 (half each), else kept:
 *   u < f/2 -> 0,  f/2 <= u < f -> 1,  u >= f -> x.
 * Written as x * keep + salt, so kept pixels come back bit for bit.
 */
export function saltPepperNoise(images: tf.Tensor4D, fraction: number, seed: number): tf.Tensor4D {
  if (fraction === 0) return images.clone();
  return tf.tidy(() => {
    const u = pixelUniforms(images, seed);
    const keep = u.greaterEqual(fraction).toFloat();
    const salt = u.greaterEqual(fraction / 2).logicalAnd(u.less(fraction)).toFloat();
    return images.mul(keep).add(salt) as tf.Tensor4D;
  });
}

/** level: sigma for 'gaussian', the fraction of pixels hit otherwise. */
export function corrupt(kind: NoiseKind, images: tf.Tensor4D, level: number, seed: number): tf.Tensor4D {
  switch (kind) {
    case 'gaussian':
      return gaussianNoise(images, level, seed);
    case 'masking':
      return maskingNoise(images, level, seed);
    case 'salt-pepper':
      return saltPepperNoise(images, level, seed);
  }
}
