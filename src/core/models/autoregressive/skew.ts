/**
 * The skew of the Diagonal BiLSTM (van den Oord et al. 2016, "Pixel Recurrent Neural
 * Networks", section 3.2 and figure 3, https://arxiv.org/abs/1601.06759): row r of a map
 * is shifted r positions to the right, so that each diagonal of the image (the pixels
 * (r, j - r)) becomes one column j of the skewed map, and a recurrence over columns
 * processes a whole diagonal in one step.
 *
 * Both are reshapes of the map read with a different row length: rows of W + H read back
 * as rows of W + H - 1 start one position later each, i.e. row r moves r to the right.
 * A few ops whatever the size, with their gradients, instead of one pad per row.
 */
import * as tf from '@tensorflow/tfjs';

/** [B, H, W, F] -> [B, H, W + H - 1, F]: out[b, r, r + c] = x[b, r, c], zeros elsewhere. */
export function skew(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width, features] = x.shape;
    // [B, H, W + H, F]: H zeros after every row, so whatever a row reads past its end is zero
    const padded = x.pad([
      [0, 0],
      [0, 0],
      [0, height],
      [0, 0],
    ]);
    // [B, H * (W + H), F] read as rows of W + H - 1: row r starts r positions into the padding before it
    const flat = padded.reshape([batch, height * (width + height), features]);
    return flat.slice([0, 0, 0], [batch, height * (width + height - 1), features]).reshape([batch, height, width + height - 1, features]) as tf.Tensor4D;
  });
}

/** [B, H, W + H - 1, F] -> [B, H, W, F], the inverse of skew: out[b, r, c] = s[b, r, r + c]. */
export function unskew(skewed: tf.Tensor4D, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, diagonals, features] = skewed.shape;
    if (diagonals !== width + height - 1) throw new Error(`A skewed map of ${height} rows and width ${width} has ${width + height - 1} columns, not ${diagonals}`);
    // [B, H * (W + H - 1), F], then H more so it reads as H rows of W + H: row r starts r positions later
    const flat = skewed.reshape([batch, height * diagonals, features]).pad([
      [0, 0],
      [0, height],
      [0, 0],
    ]);
    return flat.reshape([batch, height, width + height, features]).slice([0, 0, 0, 0], [batch, height, width, features]) as tf.Tensor4D;
  });
}
