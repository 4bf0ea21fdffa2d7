/**
 * Paths between two codes. Linear interpolation is natural for a plain code; for codes
 * drawn from N(0, I) the midpoint of a straight line is atypically close to the origin (its
 * norm shrinks), so the spherical path keeps the norm, as advised by T. White, "Sampling
 * Generative Networks" (2016), https://arxiv.org/abs/1609.04468.
 */

/** (1 - t) a + t b */
export function lerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float32Array {
  return Float32Array.from({ length: a.length }, (_, i) => (1 - t) * a[i] + t * b[i]);
}

/**
 * slerp(a, b; t) = sin((1 - t) w) / sin w * a + sin(t w) / sin w * b, with w the angle
 * between a and b; falls back to lerp when they are (anti)parallel.
 */
export function slerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float32Array {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    normA += a[i] * a[i];
    normB += b[i] * b[i];
  }
  const cosine = Math.min(1, Math.max(-1, dot / Math.sqrt(normA * normB || 1)));
  const omega = Math.acos(cosine);
  const sine = Math.sin(omega);
  if (sine < 1e-6) return lerp(a, b, t);
  const [wa, wb] = [Math.sin((1 - t) * omega) / sine, Math.sin(t * omega) / sine];
  return Float32Array.from({ length: a.length }, (_, i) => wa * a[i] + wb * b[i]);
}
