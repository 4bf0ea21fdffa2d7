/** The diagonal-Gaussian posterior q(z|x) = N(mu, sigma^2) of a VAE, and its KL to N(0, I). */
import * as tf from '@tensorflow/tfjs';

/** KL(N(mu, sigma^2) || N(0, I)) per dimension = 1/2 (mu^2 + sigma^2 - 1 - log sigma^2); [B, d] -> [B, d]. */
export function klPerDimension(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => mu.square().add(logVar.exp()).sub(1).sub(logVar).mul(0.5) as tf.Tensor2D);
}

/** The reparameterization trick: z = mu + sigma * eps, sigma = exp(log sigma^2 / 2), eps ~ N(0, I). */
export function reparameterize(mu: tf.Tensor2D, logVar: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => mu.add(logVar.mul(0.5).exp().mul(eps)) as tf.Tensor2D);
}
