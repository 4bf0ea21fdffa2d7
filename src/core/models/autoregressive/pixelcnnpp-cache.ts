/**
 * PixelCNN++'s incremental sampling pass, for the network of ./pixelcnnpp-network.ts: the
 * U-net row by row, each scale's rows kept once they are final (after Ramachandran et al.
 * 2017, "Fast Generation for Convolutional Autoregressive Models",
 * https://arxiv.org/abs/1704.06001).
 *
 * Every convolution of both streams reads at most two rows: the output's own and the one
 * above (a stride-2 one rows 2i - 1 and 2i; a transposed one a single row). So a row of any
 * layer comes from the same row of the layer below and the row above it, kept. At a
 * scale of factor f = 2^s (1 without downsampling), row i depends only on the pixels
 * before (f i, f j), so it changes only while image row f i is drawn, and is final after:
 * - the u stream (rows above) at scale row i reads only image rows above f i: computed
 *   once a row, at every scale and in both passes;
 * - the ul stream (the pixels to the left too) is computed again for every pixel, as a
 *   whole row of each scale whose row the pixel lies in (f divides the image row); at the
 *   other scales the final row kept serves every pixel of the band below it.
 * When an image row is finished, its scales' rows are computed once more from the
 * complete row (a completion's given rows have no pass of their own) and kept as the rows
 * above. A pass computes about a row of each layer, not the whole image: H times less
 * arithmetic, though about as many (small) kernel calls as the naive pass.
 *
 * Each layer's arithmetic is the network's own (the same convolutions on fewer rows), so
 * the values drawn are those of the naive pass. Dropout is off, as in every sampling pass.
 */
import * as tf from '@tensorflow/tfjs';
import { gatedSum } from './gated-sum';
import type { ResidualBlock } from './gated-resnet';
import type { ValuePass } from './pixel-sampler';
import { shiftRight, type ShiftedConv2d } from './shifted-conv';

/** What the pass needs of the network. */
export interface CachedPlusPlusLayers {
  readonly shape: readonly [number, number, number];
  readonly options: { readonly downsample: boolean; readonly shortcuts: boolean; readonly gated: boolean; readonly filters: number };
  readonly firstUp: ShiftedConv2d;
  readonly firstLeft: ShiftedConv2d;
  readonly firstUpLeft: ShiftedConv2d;
  readonly upPass: readonly { u: readonly ResidualBlock[]; ul: readonly ResidualBlock[] }[];
  readonly downPass: readonly { u: readonly ResidualBlock[]; ul: readonly ResidualBlock[] }[];
  readonly shrink: readonly (readonly [ShiftedConv2d, ShiftedConv2d])[];
  readonly grow: readonly (readonly [ShiftedConv2d, ShiftedConv2d])[];
  /** The head and one channel's log-probabilities of the 256 values: features [n, 1, 1, F] and the pixel's inputs [n, 1, 1, C] -> [n, 256]. */
  pixelLogits(features: tf.Tensor4D, input: tf.Tensor4D, channel: number): tf.Tensor2D;
}

/** One row of a layer at some scale: [n, 1, w, channels]. */
type Row = tf.Tensor4D;

/**
 * A scale's rows, by name: 'u...' the u stream's, 'l...' the ul stream's (up-pass outputs
 * uUp0..uUpR, down-pass block outputs uDown0.., block inputs to windows ...h and ...c1).
 */
interface Scale {
  /** Its final row above the one being computed (absent above the image: zero padding). */
  above: Map<string, Row>;
  /** The row being computed. */
  current: Map<string, Row>;
}

export class CachedPixelCnnPlusPlusPass implements ValuePass {
  private readonly scales: Scale[];
  /** The image row whose u stream `current` holds (-1: none). */
  private uRow = -1;
  /** The final features at the pixel last computed, [n, 1, 1, F]: its colours share them. */
  private kept?: { row: number; column: number; features: tf.Tensor4D };

  constructor(
    private readonly network: CachedPlusPlusLayers,
    private readonly canvas: Float32Array,
    private readonly count: number,
  ) {
    this.scales = network.upPass.map(() => ({ above: new Map(), current: new Map() }));
  }

  logits(row: number, column: number, channel: number): tf.Tensor2D {
    const n = this.count;
    if (!this.kept || this.kept.row !== row || this.kept.column !== column) {
      this.kept?.features.dispose();
      // [n, 1, W, F] -> [n, 1, 1, F], kept past the sampler's tidy
      const features = tf.keep(tf.tidy(() => this.features(row).slice([0, 0, column, 0], [n, 1, 1, this.network.options.filters])));
      this.kept = { row, column, features };
    }
    const features = this.kept.features;
    return tf.tidy(() => this.network.pixelLogits(features, this.pixel(row, column), channel));
  }

  pixelDrawn(row: number, column: number): void {
    if (column < this.network.shape[1] - 1) return;
    // the row is complete: every scale whose row it is computes that row once more, final, and keeps it as the row above
    tf.tidy(() => {
      this.features(row);
    });
    this.scales.forEach((scale, s) => {
      if (!this.computes(s, row)) return;
      tf.dispose([...scale.above.values()]);
      scale.above = scale.current;
      scale.current = new Map();
    });
    this.uRow = -1;
  }

  dispose(): void {
    this.scales.forEach((scale) => tf.dispose([...scale.above.values(), ...scale.current.values()]));
    this.kept?.features.dispose();
    this.kept = undefined;
  }

  /** Whether scale s computes a row while image row r is drawn (otherwise its final row above serves). */
  private computes(s: number, r: number): boolean {
    return !this.network.options.downsample || r % (1 << s) === 0;
  }

  /** elu(ul) at the end of the down pass, image row r: [n, 1, W, F], from the canvas as it stands. */
  private features(r: number): tf.Tensor4D {
    if (this.uRow !== r) {
      this.uStream(r);
      this.uRow = r;
    }
    return tf.elu(this.ulStream(r));
  }

  /** The u stream's rows at every scale that computes one for image row r, up pass then down pass. */
  private uStream(r: number): void {
    const { upPass, downPass, shrink, firstUp, options } = this.network;
    const R = upPass[0].u.length;
    const fresh = this.scales.map((_, s) => this.computes(s, r));
    tf.tidy(() => {
      for (let s = 0; s < this.scales.length && fresh[s]; s++) {
        // u_0 = shiftDown(conv_2x3(x)): row r from image rows r - 2 and r - 1 (zeros at row 0, where shiftDown puts them)
        let u = s > 0 ? conv(shrink[s - 1][0], this.pair(s - 1, `uUp${R}`)) : r === 0 ? this.zeros() : conv(firstUp, this.imageInputs(r - 2, r - 1));
        this.put(s, 'uUp0', u);
        upPass[s].u.forEach((block, k) => {
          u = this.block(s, `uUpBlock${k}`, block, u);
          this.put(s, `uUp${k + 1}`, u);
        });
      }
      for (let s = this.scales.length - 1; s >= 0; s--) {
        if (!fresh[s]) continue;
        let u = s === this.scales.length - 1 ? this.read(s, `uUp${R}`) : this.grown(s, r, 0, 'uDown');
        // the up pass's outputs in reverse, one a block (the lowest scale's last one is where it starts)
        const shortcuts = this.shortcutKeys(s, 'uUp', R);
        downPass[s].u.forEach((block, k) => {
          u = this.block(s, `uDownBlock${k}`, block, u, options.shortcuts ? this.read(s, shortcuts[k]) : undefined);
          this.put(s, `uDown${k}`, u);
        });
        this.put(s, 'uDown', u);
      }
    });
  }

  /** The ul stream's rows at every scale that computes one for image row r; returns the down pass's last at full size, [n, 1, W, F]. */
  private ulStream(r: number): Row {
    const { upPass, downPass, shrink, firstLeft, firstUpLeft, options } = this.network;
    const R = upPass[0].u.length;
    const fresh = this.scales.map((_, s) => this.computes(s, r));
    return tf.tidy(() => {
      for (let s = 0; s < this.scales.length && fresh[s]; s++) {
        let ul: Row;
        if (s > 0) ul = conv(shrink[s - 1][1], this.pair(s - 1, `lUp${R}`));
        else {
          // ul_0 = shiftDown(conv_1x3(x)) + shiftRight(conv_2x1(x)): image row r - 1 (the same for the whole row), and rows r - 1 and r one column to the left
          const above = this.onceARow(0, 'lFirstAbove', () => (r === 0 ? this.zeros() : conv(firstLeft, this.imageInputs(r - 1, r - 1))));
          ul = above.add(shiftRight(conv(firstUpLeft, this.imageInputs(r - 1, r))));
        }
        this.put(s, 'lUp0', ul);
        upPass[s].ul.forEach((block, k) => {
          ul = this.block(s, `lUpBlock${k}`, block, ul, this.read(s, `uUp${k + 1}`), true);
          this.put(s, `lUp${k + 1}`, ul);
        });
      }
      for (let s = this.scales.length - 1; s >= 0; s--) {
        if (!fresh[s]) continue;
        let ul = s === this.scales.length - 1 ? this.read(s, `lUp${R}`) : this.grown(s, r, 1, 'lDown');
        const shortcuts = this.shortcutKeys(s, 'lUp', R);
        downPass[s].ul.forEach((block, k) => {
          const u = this.read(s, `uDown${k}`);
          ul = options.shortcuts ? this.block(s, `lDownBlock${k}`, block, ul, joined(u, this.read(s, shortcuts[k]))) : this.block(s, `lDownBlock${k}`, block, ul, u, true);
          this.put(s, `lDown${k}`, ul);
        });
        this.put(s, 'lDown', ul);
      }
      return this.read(0, 'lDown');
    });
  }

  /** The up pass's outputs that scale s's down-pass blocks take, in order: its rows in reverse, less the last at the lowest scale. */
  private shortcutKeys(s: number, prefix: string, R: number): string[] {
    const keys = Array.from({ length: R + 1 }, (_, k) => `${prefix}${R - k}`);
    return s === this.scales.length - 1 ? keys.slice(1) : keys;
  }

  /**
   * A residual block's row (./gated-resnet.ts, dropout off): h [n, 1, w, F] and its
   * short-cut input's row a; `fixed`: a is the u stream's, the same for the whole row.
   */
  private block(s: number, name: string, block: ResidualBlock, h: Row, a?: Row, fixed = false): Row {
    const { shortcut } = block;
    // c1 = elu(conv(elu(h)) + nin(elu(a)))
    let c1 = conv(block.first, this.window(s, `${name}h`, tf.elu(h)));
    if (shortcut && a) c1 = c1.add(fixed ? this.onceARow(s, `${name}nin`, () => shortcut.apply(tf.elu(a))) : shortcut.apply(tf.elu(a)));
    c1 = tf.elu(c1);
    const c2 = conv(block.second, this.window(s, `${name}c1`, c1));
    if (!this.network.options.gated) return h.add(c2);
    // as the block computes it (the same kernel on WASM), so the same numbers as a whole pass
    return gatedSum(h, c2);
  }

  /** What scale s's row for image row r takes from the down pass of the scale below it (`stream` 0: u, 1: ul): its row `key` grown to scale s's size. */
  private grown(s: number, r: number, stream: 0 | 1, key: string): Row {
    const layer = this.network.grow[s][stream];
    // without downsampling, an ordinary convolution over the row above and this one
    if (!layer.transposed) return conv(layer, this.pair(s + 1, key));
    // low-resolution row i fills rows 2i and 2i + 1 and nothing else: [n, 1, w/2, F] -> [n, 2, w, F] -> scale s's row r >> s
    const grow = () => layer.apply(this.read(s + 1, key)).slice([0, (r >> s) % 2, 0, 0], [-1, 1, -1, -1]) as Row;
    // the scale below computes no row now: what it gives is the same for every pixel of this image row
    return this.computes(s + 1, r) ? grow() : this.onceARow(s, `${key}Grown`, grow);
  }

  /** The rows above and this row of a layer's input at scale s: keeps `row` as this row's, [n, 2, w, ch]. */
  private window(s: number, name: string, row: Row): tf.Tensor4D {
    this.put(s, name, row);
    return this.pair(s, name);
  }

  /** Row `name` of scale s, the row above it and this one: [n, 2, w, ch] (zeros above the image, as the padding). */
  private pair(s: number, name: string): tf.Tensor4D {
    const row = this.scales[s].current.get(name)!;
    return tf.concat([this.scales[s].above.get(name) ?? tf.zerosLike(row), row], 1);
  }

  /** Row `name` of scale s for the image row being drawn: the one computed now, or if scale s computes none now, the final one. */
  private read(s: number, name: string): Row {
    const scale = this.scales[s];
    const row = scale.current.get(name) ?? scale.above.get(name);
    if (!row) throw new Error(`No row ${name} at scale ${s}`);
    return row;
  }

  /** This row's `name` at scale s, computed by `compute` at its first pass and kept for the others. */
  private onceARow(s: number, name: string, compute: () => Row): Row {
    const kept = this.scales[s].current.get(name);
    if (kept) return kept;
    const row = compute();
    this.put(s, name, row);
    return row;
  }

  /** Keeps `row` as this row's `name` at scale s (inside a tidy). */
  private put(s: number, name: string, row: Row): void {
    const current = this.scales[s].current;
    const old = current.get(name);
    if (old && old !== row) old.dispose();
    current.set(name, tf.keep(row));
  }

  /** A zero row at full size: [n, 1, W, F]. */
  private zeros(): Row {
    return tf.zeros([this.count, 1, this.network.shape[1], this.network.options.filters]);
  }

  /**
   * The network's input of image rows from..to: [n, rows, W, C + 1], x in [-1, 1] and ones,
   * zero rows above the image (the padding). Built here rather than by tensor ops (a dozen
   * fewer a pass): 2v - 1 in float32 is the same number either way.
   */
  private imageInputs(from: number, to: number): tf.Tensor4D {
    const [height, width, channels] = this.network.shape;
    const rows = to - from + 1;
    const values = new Float32Array(this.count * rows * width * (channels + 1));
    let i = 0;
    for (let image = 0; image < this.count; image++) {
      for (let r = from; r <= to; r++) {
        if (r < 0) {
          i += width * (channels + 1);
          continue;
        }
        let source = ((image * height + r) * width) * channels;
        for (let column = 0; column < width; column++) {
          for (let channel = 0; channel < channels; channel++) values[i++] = 2 * this.canvas[source++] - 1;
          values[i++] = 1;
        }
      }
    }
    return tf.tensor4d(values, [this.count, rows, width, channels + 1]);
  }

  /** The canvas's pixel (row, column): [n, 1, 1, C]. */
  private pixel(row: number, column: number): tf.Tensor4D {
    const [height, width, channels] = this.network.shape;
    const values = new Float32Array(this.count * channels);
    for (let image = 0; image < this.count; image++) {
      const source = ((image * height + row) * width + column) * channels;
      values.set(this.canvas.subarray(source, source + channels), image * channels);
    }
    return tf.tensor4d(values, [this.count, 1, 1, channels]);
  }
}

/**
 * A shifted convolution's output row from the rows of its input it reads, [n, k, w, in]
 * (k: the window's rows; at stride 2, rows 2i - 1 and 2i): the columns padded as the
 * layer pads them, the rows above being real rows instead of padding.
 */
function conv(layer: ShiftedConv2d, rows: tf.Tensor4D): Row {
  const columns = layer.window[1];
  const [left, right] = layer.direction === 'down' ? [(columns - 1) / 2, (columns - 1) / 2] : [columns - 1, 0];
  // the padding inside the convolution (the same zeros, one kernel call fewer than a pad); one
  // output row, so no Winograd rows apply on WASM (they need two or more) and none can leak
  return tf.conv2d(rows, layer.kernel, layer.stride, [[0, 0], [0, 0], [left, right], [0, 0]]).add(layer.bias);
}

/*
 * On WASM, joining tensors along their last axis copies them a few numbers at a time (one
 * JavaScript copy per pixel); along the first axis, in one piece. A transpose (one compiled
 * kernel) moves the channels there first: the same numbers, sooner.
 */

/** [n, 1, w, F] twice -> [n, 1, w, 2F]: tf.concat's along the channels. */
function joined(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  const [n, , w, F] = a.shape;
  // [2, n*w, F] -> [n*w, 2, F] -> [n, 1, w, 2F]
  return tf.stack([a.reshape([n * w, F]), b.reshape([n * w, F])]).transpose([1, 0, 2]).reshape([n, 1, w, 2 * F]);
}
