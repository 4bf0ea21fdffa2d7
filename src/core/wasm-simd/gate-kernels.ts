/**
 * PixelCNN++'s gate (Salimans et al. 2017, "PixelCNN++", section 2.4, after the gated
 * PixelCNN; https://arxiv.org/abs/1701.05517), h' = h + a sigmoid(b) where [a, b] are the two
 * halves of a convolution's 2F channels, generated as code (see encoder.ts) into the module of
 * ./kernels.ts and used by ../wasm-heap-gate.ts. Each pixel's 2F channels are read where they
 * lie: TF.js splits them into two tensors first, and its gradient concatenates them back.
 * - gateForward: s = sigmoid(b) (our exponential, ./exp-kernels.ts) and h + a s, in one pass;
 * - gateGradient: da = dy s and db = (dy a) (s (1 - s)), TF.js's gradients of the product and
 *   the sigmoid in their order, written side by side as the convolution's 2F channels.
 */
import { blockRows } from './elementwise-kernels';
import { FunctionWriter } from './encoder';
import { sigmoidOf, sigmoidScratch, splatConstants } from './exp-kernels';

/**
 * The loop over `pixels` pixels of `channels` (F, a multiple of 4) channels (blockRows): the
 * `wide` pointers (c2, dc2) advance by 2F floats a pixel (a, then b), the `narrow` ones by F.
 */
function perPixel(f: FunctionWriter, wide: string[], narrow: string[], body: (u: number) => void, unroll = 1): void {
  // past b's half of the pixel
  blockRows(f, { rows: 'pixels', width: 'channels', wide, narrow, pastRow: () => void f.get('channels').i32(2).op('i32.shl'), body, unroll });
}

/**
 * gateForward(c2, h, out, s, pixels, channels): s = sigmoid(b), out = h + a s (TF.js's
 * h.add(a.mul(sigmoid(b)))). Four vectors a turn where a pixel has them (PixelCNN++'s 16
 * channels): each sigmoid is one long chain of dependent operations, and several side by side
 * keep the processor busy (as swishForward's). `fused`: the sigmoid's exponential with relaxed
 * SIMD's multiply-add, 0.79-0.80x of the time on PixelCNN++'s 17,248 pixels of 16 channels
 * (both variants in one process, by turns), within the same bounds of the true sigmoid.
 */
export function gateForward(unroll = 4, fused = false): FunctionWriter {
  const f = new FunctionWriter('gateForward', ['c2', 'h', 'out', 's', 'pixels', 'channels']);
  f.local('i32', 'j');
  const c = splatConstants(f);
  const lanes = Array.from({ length: unroll }, (_, u) => ({ b: f.local('v128', `b${u}`), sigmoid: f.local('v128', `sigmoid${u}`), scratch: sigmoidScratch(f, `Gate${u}`) }));
  perPixel(f, ['c2'], ['h', 'out', 's'], (u) => {
    const { b, sigmoid, scratch } = lanes[u];
    // b is F floats after a
    f.get('c2').get('channels').i32(2).op('i32.shl').op('i32.add').memory('v128.load', 16 * u).set(b);
    sigmoidOf(f, c, b, scratch, fused).set(sigmoid);
    f.get('s').get(sigmoid).memory('v128.store', 16 * u);
    f.get('out').get('h').memory('v128.load', 16 * u).get('c2').memory('v128.load', 16 * u).get(sigmoid).simd('f32x4.mul').simd('f32x4.add').memory('v128.store', 16 * u);
  }, unroll);
  return f;
}

/** gateGradient(dy, c2, s, dc2, pixels, channels): dc2's a half dy s, its b half (dy a) (s (1 - s)). */
export function gateGradient(): FunctionWriter {
  const f = new FunctionWriter('gateGradient', ['dy', 'c2', 's', 'dc2', 'pixels', 'channels']);
  f.local('i32', 'j');
  const [dy, s, one] = [f.local('v128', 'dyVector'), f.local('v128', 'sVector'), f.local('v128', 'ones')];
  f.f32(1).simd('f32x4.splat').set(one);
  perPixel(f, ['c2', 'dc2'], ['dy', 's'], () => {
    f.get('dy').memory('v128.load').set(dy);
    f.get('s').memory('v128.load').set(s);
    f.get('dc2').get(dy).get(s).simd('f32x4.mul').memory('v128.store');
    f.get('dc2').get('channels').i32(2).op('i32.shl').op('i32.add');
    // (dy a) (s (1 - s)), b's F floats on
    f.get(dy).get('c2').memory('v128.load').simd('f32x4.mul').get(s).get(one).get(s).simd('f32x4.sub').simd('f32x4.mul').simd('f32x4.mul').memory('v128.store');
  });
  return f;
}
