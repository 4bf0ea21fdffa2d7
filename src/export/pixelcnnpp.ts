/**
 * PixelCNN++'s export (src/core/models/autoregressive/: pixelcnnpp-network.ts,
 * gated-resnet.ts, shifted-conv.ts, logistic-mixture.ts, masked-conv.ts): the same two
 * streams of shifted convolutions at three scales, every switch of the page (likelihood,
 * whole-pixel conditioning, downsampling, short-cuts, gated or plain blocks, dropout), the
 * same initial-weight distributions, held-out bits/dim on the app's 200 test images, and
 * value-by-value sampling from the mixture by the app's inverse-CDF draw.
 *
 * Paper: T. Salimans, A. Karpathy, X. Chen and D. P. Kingma, "PixelCNN++: Improving the
 * PixelCNN with Discretized Logistic Mixture Likelihood and Other Modifications", ICLR
 * 2017. https://arxiv.org/abs/1701.05517
 */
import type { ExportRun, FamilyExport } from './families';
import type { Layout, OptimizerPlan, ParamPlan } from './torch-layout';

/** The U-net's scales: H, H/2, H/4 (pixelcnnpp-network.ts's SCALES). */
const SCALES = 3;

/**
 * The parameters in the order the network creates them (PixelCnnPlusPlusNetwork's layers):
 * the three first layers; every residual block, the up pass's then the down pass's, scale by
 * scale, the u stream's blocks then the ul stream's, each its two convolutions then its
 * short-cut 1x1; the convolutions that shrink, then those that grow; the head.
 */
function params(run: ExportRun): ParamPlan[] {
  const { values, data } = run;
  const channels = data.kind === 'image' ? data.shape[2] : 1;
  const blocks = Number(values.blocks);
  const shortcuts = values.shortcuts === 'on';
  const downsample = values.downsampling === 'on';
  const wholePixel = values.likelihood === 'mixture' && values.conditioning === 'pixel' && channels > 1;
  const plan: ParamPlan[] = [];
  const layer = (name: string, layout: Layout) => plan.push({ name: `${name}.weight`, layout }, { name: `${name}.bias`, layout: 'as-is' });
  ['first_up', 'first_left', 'first_up_left'].forEach((name) => layer(name, 'conv'));
  for (const pass of ['up_pass', 'down_pass'] as const) {
    for (let scale = 0; scale < SCALES; scale++) {
      const count = pass === 'up_pass' || scale === SCALES - 1 ? blocks : blocks + 1;
      for (const stream of ['u', 'ul'] as const) {
        // the up pass's ul takes u in; the down pass's u takes the up pass's u (with short-cuts), its ul always something
        const hasShortcut = stream === 'ul' || (pass === 'down_pass' && shortcuts);
        for (let i = 0; i < count; i++) {
          const block = `${pass}.${scale}.${stream}.${i}`;
          layer(`${block}.first`, 'conv');
          layer(`${block}.second`, 'conv');
          if (hasShortcut) layer(`${block}.shortcut`, 'dense');
        }
      }
    }
  }
  for (let i = 0; i < SCALES - 1; i++) ['u', 'ul'].forEach((stream) => layer(`shrink.${i}.${stream}`, 'conv'));
  for (let i = 0; i < SCALES - 1; i++) ['u', 'ul'].forEach((stream) => layer(`grow.${i}.${stream}`, downsample ? 'conv-transpose' : 'conv'));
  layer('hidden', 'dense');
  if (wholePixel || channels === 1) {
    layer('output', 'dense');
  } else {
    layer('own_channels', 'conv');
    layer('output', 'conv');
  }
  return plan;
}

const MODEL = String.raw`
# The held-out figures' test images (autoregressive-model.ts), and the samples of the sample-quality figures
# (pixelcnnpp-spec.ts's qualitySamples: sampling is slow, and the usual 1,000 would take minutes)
HELD_OUT_SIZE = 200
QUALITY_SAMPLES_OF_MODEL = 300
# the U-net's scales: H, H/2, H/4
SCALES = 3
# half a bin of the mixture, in units of x = 2v/255 - 1; the bounds on log s (logistic-mixture.ts)
HALF_BIN = 1 / 255
MIN_LOG_SCALE, MAX_LOG_SCALE = -7.0, 7.0
# the windows of the residual blocks' convolutions, by stream
WINDOWS = {"down": (2, 3), "down-right": (2, 2)}


class ShiftedConv2d(nn.Module):
    """A convolution whose window sits above (and left of) its output, for causality without a mask
    (Salimans et al. 2017, sections 2.3-2.4; shifted-conv.ts):
      'down' (the u stream): a rows x columns window whose lowest row is the output's own row, centred
          across it: zero padding of rows - 1 rows on top, (columns - 1) / 2 columns either side;
      'down-right' (the ul stream): a window ending at the output's own pixel: rows - 1 rows on top,
          columns - 1 columns on the left.
    At stride 2 the same windows halve the image. Transposed (stride 2 only): pixel (i, j) spreads to rows
    2i, 2i + 1 and columns 2j - 1 .. 2j + 1 ('down', the centred crop) or 2j, 2j + 1 ('down-right').
    Fresh kernels are Glorot-uniform times init_scale (0.1 on a residual block's second convolution)."""

    def __init__(self, direction, window, in_channels, out_channels, stride=1, transposed=False, init_scale=1.0):
        super().__init__()
        self.direction, self.window, self.stride, self.transposed = direction, window, stride, transposed
        rows, columns = window
        shape = (in_channels, out_channels, rows, columns) if transposed else (out_channels, in_channels, rows, columns)
        limit = init_scale * math.sqrt(6 / (rows * columns * (in_channels + out_channels)))
        self.weight = nn.Parameter(torch.empty(shape).uniform_(-limit, limit))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x):
        """[B, in, H, W] -> [B, out, H, W], or H/2 x W/2 at stride 2, or 2H x 2W transposed."""
        rows, columns = self.window
        if self.transposed:
            # 'valid': [B, out, 2H, 2W + columns - 2]
            wide = F.conv_transpose2d(x, self.weight, None, 2)
            if self.direction == "down":
                side = (columns - 1) // 2
                wide = wide[:, :, :, side : side + 2 * x.shape[3]]  # the window centred, as a 'same' one would be
            return wide + self.bias.view(1, -1, 1, 1)
        left, right = ((columns - 1) // 2, (columns - 1) // 2) if self.direction == "down" else (columns - 1, 0)
        return F.conv2d(F.pad(x, (left, right, rows - 1, 0)), self.weight, self.bias, self.stride)


def shift_down(x):
    """[B, C, H, W] moved down a row: row 0 zeros, row r what row r - 1 held."""
    return F.pad(x[:, :, :-1], (0, 0, 1, 0))


def shift_right(x):
    """[B, C, H, W] moved right a column: column 0 zeros."""
    return F.pad(x[:, :, :, :-1], (1, 0))


class PixelDense(nn.Module):
    """A 1x1 convolution (the paper's "network in network"), y = x W^T + b at every pixel; Glorot-uniform."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        limit = math.sqrt(6 / (in_channels + out_channels))
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels).uniform_(-limit, limit))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x):
        """[..., in] -> [..., out], channels last."""
        return F.linear(x, self.weight, self.bias)

    def channels_first(self, x):
        """[B, in, H, W] -> [B, out, H, W]."""
        return F.conv2d(x, self.weight[:, :, None, None], self.bias)


class MaskedPixelDense(nn.Module):
    """A 1x1 masked convolution of PixelCNN (masked-conv.ts) at the pixel itself, channels last: channels split in
    as many groups as the image has colours (channelGroup: floor(index * groups / count)), and group g reads
    groups g' < g (mask A) or g' <= g (mask B). Glorot-uniform over the weights the mask keeps."""

    def __init__(self, in_channels, out_channels, kind, groups):
        super().__init__()
        source = (torch.arange(in_channels) * groups // in_channels).view(1, in_channels)
        target = (torch.arange(out_channels) * groups // out_channels).view(out_channels, 1)
        mask = (source < target if kind == "A" else source <= target).float().view(out_channels, in_channels, 1, 1)
        self.register_buffer("mask", mask, persistent=False)  # a constant: not in the weights file
        kept = mask.sum().item()
        limit = math.sqrt(6 / max(1, kept / out_channels + kept / in_channels))
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 1, 1).uniform_(-limit, limit))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x):
        """[..., in] -> [..., out]: y = x (W * M)^T + b, so a masked weight gets exactly zero gradient."""
        return F.linear(x, (self.weight * self.mask).flatten(1), self.bias)


def dropout_multiplier(uniforms, rate):
    """TF.js's dropout from its uniforms u: floor(u + keep) / keep, keep = 1 - rate (in float32, as TF.js
    computes it), so a unit is kept with probability keep and scaled by 1 / keep: evaluation needs no rescaling."""
    keep = torch.tensor(1 - rate, dtype=torch.float32)
    return torch.floor(uniforms + keep) / keep


class ResidualBlock(nn.Module):
    """The residual block (section 2.4, the authors' gated_resnet; gated-resnet.ts):
        c1 = elu(conv(elu(h)) + nin(elu(a)))     a: a short-cut input (the other stream, or the up pass's output)
        c1 = dropout(c1)                         on the residual path only, while training
        gated: [c2, g] = conv(c1)   h' = h + c2 * sigmoid(g)
        plain:  c2 = conv(c1)       h' = h + c2
    ELU where the authors use concatenated ELU, as in the app."""

    def __init__(self, direction, filters, shortcut_channels, gated, rate):
        super().__init__()
        window = WINDOWS[direction]
        self.gated, self.rate = gated, rate
        self.first = ShiftedConv2d(direction, window, filters, filters)
        # the residual starts small (init_scale 0.1): a deep stack begins near the identity
        self.second = ShiftedConv2d(direction, window, filters, 2 * filters if gated else filters, init_scale=0.1)
        self.shortcut = PixelDense(shortcut_channels, filters) if shortcut_channels > 0 else None

    def forward(self, h, a, uniforms):
        """h [B, F, H, W], a [B, shortcut, H, W] or None, uniforms: dropout's [B, H, W, F] (channels last, as the
        app draws them) or None -> [B, F, H, W]."""
        c1 = self.first(F.elu(h))
        if self.shortcut is not None and a is not None:
            c1 = c1 + self.shortcut.channels_first(F.elu(a))
        c1 = F.elu(c1)
        if uniforms is not None:
            c1 = c1 * dropout_multiplier(uniforms.permute(0, 3, 1, 2), self.rate)
        c2 = self.second(c1)
        if not self.gated:
            return h + c2
        # [B, 2F, H, W] -> two [B, F, H, W]: values and gates
        values, gates = c2.chunk(2, 1)
        return h + values * torch.sigmoid(gates)


class Streams(nn.Module):
    """The blocks of one scale: the u stream's and the ul stream's."""

    def __init__(self, count, u_shortcut, ul_shortcut, filters, gated, rate):
        super().__init__()
        self.u = nn.ModuleList([ResidualBlock("down", filters, u_shortcut, gated, rate) for _ in range(count)])
        self.ul = nn.ModuleList([ResidualBlock("down-right", filters, ul_shortcut, gated, rate) for _ in range(count)])


class Pair(nn.Module):
    """A convolution of each stream between two scales."""

    def __init__(self, u, ul):
        super().__init__()
        self.u, self.ul = u, ul


def centre_of_bin(values):
    """The values v (0..255, any shape) as x = 2v/255 - 1, with a trailing axis to meet K components."""
    return (values.float() * (2 / 255) - 1).unsqueeze(-1)


def log_bin_mass(x, means, log_scales, values):
    """log of the mass of one logistic on one bin of width 2/255 (section 2.1), x, mu, log s broadcast to [..., K]:
        P(x) = sigma((x + 1/255 - mu) / s) - sigma((x - 1/255 - mu) / s),
    the bin of 0 reaching to -inf and that of 255 to +inf. With a = (x + 1/255 - mu) / s, b = (x - 1/255 - mu) / s:
        log [sigma(a) - sigma(b)] = a - softplus(a) - softplus(b) + log(-expm1(b - a))
    finite wherever the mass is. values [...] select the bin's kind."""
    inverse_scale = torch.exp(-log_scales)
    centred = x - means
    upper = (centred + HALF_BIN) * inverse_scale
    lower = (centred - HALF_BIN) * inverse_scale
    interior = upper - F.softplus(upper) - F.softplus(lower) + torch.log(-torch.expm1(inverse_scale * (-2 * HALF_BIN)))
    first = -F.softplus(-upper)  # log sigma(a): the bin of 0 from -inf
    last = -F.softplus(lower)  # log [1 - sigma(b)]: the bin of 255 to +inf
    is_first = (values == 0).float().unsqueeze(-1)
    is_last = (values == 255).float().unsqueeze(-1)
    # every branch is finite, so a weighted sum selects without NaN in any gradient
    return first * is_first + last * is_last + interior * (1 - is_first - is_last)


def channel_mixtures(params, values, channels, components, whole_pixel, centres=None):
    """Each channel's mixture given the values before it in the pixel (logistic-mixture.ts's channelMixtures):
    params [M, P] and values [M, C] -> log pi, mu, log s, each [M, C, K].
    Whole pixels (section 2.2): one mixture over k covers the pixel, the channels' means linear in earlier ones,
        mu_R = mu_R,k,   mu_G = mu_G,k + alpha_k R,   mu_B = mu_B,k + beta_k R + gamma_k G   (alpha, beta, gamma = tanh)
    and channel c's weights those the components earned on the channels before it (Bayes):
        log pi_c,k = log softmax_k(log pi_k + sum_{c' < c} log P_k(x_c'))
    Otherwise every channel has a mixture of its own. centres: x of the values (the sampler's network inputs)."""
    pixels, K = params.shape[0], components
    if not whole_pixel:
        per_channel = params.reshape(pixels, channels, 3, K)  # per channel: weight logits, means, log-scales
        return torch.log_softmax(per_channel[:, :, 0], -1), per_channel[:, :, 1], per_channel[:, :, 2].clamp(MIN_LOG_SCALE, MAX_LOG_SCALE)
    # [M, K + C*K + C*K + C(C-1)/2 * K]: weight logits, means, log-scales, coefficients
    pairs = channels * (channels - 1) // 2
    log_pi = torch.log_softmax(params[:, :K], -1)
    base_means = params[:, K : (1 + channels) * K].reshape(pixels, channels, K)
    log_scales = params[:, (1 + channels) * K : (1 + 2 * channels) * K].reshape(pixels, channels, K).clamp(MIN_LOG_SCALE, MAX_LOG_SCALE)
    coefficients = torch.tanh(params[:, (1 + 2 * channels) * K : (1 + 2 * channels + pairs) * K]).reshape(pixels, pairs, K)
    x = centres.unsqueeze(-1) if centres is not None else centre_of_bin(values)  # [M, C, 1]
    means, log_weights, earned = [], [], log_pi
    for c in range(channels):
        mean = base_means[:, c]
        for earlier in range(c):
            # the coefficient of (earlier, c): alpha for (R, G), beta for (R, B), gamma for (G, B)
            mean = mean + coefficients[:, earlier + c * (c - 1) // 2] * x[:, earlier]
        means.append(mean)
        log_weights.append(torch.log_softmax(earned, -1))
        if c < channels - 1:
            earned = earned + log_bin_mass(x[:, c], mean, log_scales[:, c], values[:, c])
    return torch.stack(log_weights, 1), torch.stack(means, 1), log_scales


def mixture_log_probabilities(log_weights, means, log_scales):
    """log P(v) of all 256 values under N mixtures [N, K] -> [N, 256], component by component as the app
    accumulates them: logaddexp(p, q) = max(p, q) + log1p(exp(-|p - q|))."""
    v = torch.arange(256, device=means.device)
    x = centre_of_bin(v).reshape(1, 256, 1)
    total = None
    for k in range(means.shape[1]):
        term = log_bin_mass(x, means[:, k : k + 1, None], log_scales[:, k : k + 1, None], v.reshape(1, 256)).squeeze(2) + log_weights[:, k : k + 1]
        total = term if total is None else torch.maximum(total, term) + torch.log1p(torch.exp(-(total - term).abs()))
    return total


class Model(nn.Module):
    """PixelCNN++ (Salimans et al. 2017): p(x) = prod_i p(x_i | x_<i), values in raster order, R, G, B within a
    pixel. Two streams of shifted convolutions, u (the rows above) and ul (the row above and the pixels to the
    left; it takes u in at every block), run as a U-net at three scales:
        up pass:   R blocks at H x W, stride 2 down, R at H/2, stride 2 down, R at H/4
        down pass: R blocks at H/4, transposed conv up, R + 1 at H/2, up, R + 1 at H x W
    each down-pass block taking the up pass's output of the same place by a short-cut. A 1x1 head gives each
    pixel's discretized logistic mixture, or 256 logits per channel. Training minimizes -log p(x) in nats per
    image, averaged over the batch."""

    def __init__(self, args):
        super().__init__()
        self.shape = DATASET["shape"]
        height, width, channels = self.shape
        filters, blocks = args.filters, args.blocks
        self.encoding = "bytes"  # the values 0..255 themselves
        self.held_out_size = HELD_OUT_SIZE
        self.quality_samples = QUALITY_SAMPLES_OF_MODEL
        self.likelihood, self.components = args.likelihood, args.components
        self.whole_pixel = args.likelihood == "mixture" and args.conditioning == "pixel" and channels > 1
        self.downsample, self.shortcuts = args.downsampling == "on", args.shortcuts == "on"
        self.rate, self.filters, self.blocks = args.dropout, filters, blocks
        self.train_images = args.train_images
        if self.downsample and (height % 4 or width % 4):
            raise SystemExit(f"downsampling twice needs a height and width divisible by 4, not {height}x{width}")
        per_channel = 256 if args.likelihood == "softmax" else 3 * self.components
        pairs = channels * (channels - 1) // 2
        self.parameter_count = self.components * (1 + 2 * channels + pairs) if self.whole_pixel else channels * per_channel
        gated = args.residual == "gated"
        # the image in [-1, 1] and a channel of ones, which tells the image from the zero padding
        inputs = channels + 1
        self.first_up = ShiftedConv2d("down", (2, 3), inputs, filters)
        self.first_left = ShiftedConv2d("down", (1, 3), inputs, filters)
        self.first_up_left = ShiftedConv2d("down-right", (2, 1), inputs, filters)
        # up pass: ul takes u in; down pass: u takes the up pass's u, ul takes [u, the up pass's ul]
        self.up_pass = nn.ModuleList([Streams(blocks, 0, filters, filters, gated, self.rate) for _ in range(SCALES)])
        shortcut_u, shortcut_ul = (filters, 2 * filters) if self.shortcuts else (0, filters)
        self.down_pass = nn.ModuleList([Streams(blocks if scale == SCALES - 1 else blocks + 1, shortcut_u, shortcut_ul, filters, gated, self.rate) for scale in range(SCALES)])
        stride = 2 if self.downsample else 1
        self.shrink = nn.ModuleList([Pair(ShiftedConv2d("down", (2, 3), filters, filters, stride), ShiftedConv2d("down-right", (2, 2), filters, filters, stride)) for _ in range(SCALES - 1)])
        self.grow = nn.ModuleList(
            [Pair(ShiftedConv2d("down", (2, 3), filters, filters, stride, self.downsample), ShiftedConv2d("down-right", (2, 2), filters, filters, stride, self.downsample)) for _ in range(SCALES - 1)]
        )
        self.hidden = PixelDense(filters, filters)
        if self.whole_pixel or channels == 1:
            self.own_channels = None
            self.output = PixelDense(filters, self.parameter_count)
        else:
            # G's units see the pixel's R, B's its R and G (type A); output o belongs to colour floor(o / (P / C)) (type B)
            self.own_channels = MaskedPixelDense(channels, filters, "A", channels)
            self.output = MaskedPixelDense(filters, self.parameter_count, "B", channels)

    def optimizer_groups(self, args):
        return {"network": (self.named_parameters(), args.lr, args.beta1, args.beta2)}

    def dropout_shapes(self, height, width):
        """The [h, w] of each block's dropout, in the order the blocks run (and the app draws their seeds)."""
        scale_size = lambda scale: (height // 2**scale, width // 2**scale) if self.downsample else (height, width)
        up = [scale_size(s) for s in range(SCALES) for _ in range(2 * self.blocks)]
        down = [scale_size(s) for s in reversed(range(SCALES)) for _ in range(2 * (self.blocks if s == SCALES - 1 else self.blocks + 1))]
        return up + down

    def noise(self, n, generator):
        """Dropout's uniforms, one [n, h, w, F] a block (channels last, as TF.js draws them); none without dropout."""
        if self.rate <= 0:
            return {}
        height, width, _ = self.shape
        return {f"dropout.{i}": torch.rand((n, h, w, self.filters), generator=generator) for i, (h, w) in enumerate(self.dropout_shapes(height, width))}

    def step_inputs(self, data, n, generator):
        """A step's images, drawn from the first train_images training images when it is set (the app's
        onFirstImages; 0: all of them, the same draws as data.draw), and dropout's uniforms."""
        limit = data.count("train") if self.train_images <= 0 else min(self.train_images, data.count("train"))
        index = torch.randint(limit, (n,), generator=generator)
        return {"x": data.take("train", index, self.encoding), **self.noise(n, generator)}

    def features(self, inputs, noise=None):
        """What the streams end with at each pixel: [B, h, w, C] inputs (v / 255) -> [B, h, w, F]. noise: dropout's
        uniforms by block (training), or None."""
        draws = iter([noise[f"dropout.{i}"] for i in range(len(noise))]) if noise and self.rate > 0 else None
        uniforms = lambda: next(draws) if draws is not None else None
        batch, height = inputs.shape[:2]
        # [B, h, w, C] -> [B, h, w, C + 1]: x in [-1, 1], and ones
        x = torch.cat([inputs * 2 - 1, torch.ones_like(inputs[..., :1])], 3)
        # the sampler's window ends at the row being drawn: zero rows below, up to a multiple of 4, let it halve twice
        missing = (4 - height % 4) % 4 if self.downsample else 0
        x = F.pad(x, (0, 0, 0, 0, 0, missing)).permute(0, 3, 1, 2)  # [B, C + 1, h + missing, w]
        # u: rows above (2x3, moved down a row); ul: the row above (1x3, moved down) and the pixels to the left (2x1, moved right)
        u = shift_down(self.first_up(x))
        ul = shift_down(self.first_left(x)) + shift_right(self.first_up_left(x))
        u_stack, ul_stack = [u], [ul]
        for scale in range(SCALES):
            if scale > 0:
                u, ul = self.shrink[scale - 1].u(u), self.shrink[scale - 1].ul(ul)
                u_stack.append(u)
                ul_stack.append(ul)
            streams = self.up_pass[scale]
            for u_block, ul_block in zip(streams.u, streams.ul):
                u = u_block(u, None, uniforms())
                ul = ul_block(ul, u, uniforms())
                u_stack.append(u)
                ul_stack.append(ul)
        # the down pass takes the up pass's outputs back in the reverse order, one a block (the last is where it starts)
        u_stack.pop()
        ul_stack.pop()
        for scale in reversed(range(SCALES)):
            if scale < SCALES - 1:
                u, ul = self.grow[scale].u(u), self.grow[scale].ul(ul)
            streams = self.down_pass[scale]
            for u_block, ul_block in zip(streams.u, streams.ul):
                u_shortcut, ul_shortcut = u_stack.pop(), ul_stack.pop()
                if self.shortcuts:
                    u = u_block(u, u_shortcut, uniforms())
                    ul = ul_block(ul, torch.cat([u, ul_shortcut], 1), uniforms())
                else:
                    u = u_block(u, None, uniforms())
                    ul = ul_block(ul, u, uniforms())
        # [B, F, h + missing, w] -> [B, h, w, F]
        return F.elu(ul[:, :, :height]).permute(0, 2, 3, 1)

    def head(self, features, inputs):
        """Pixel by pixel: features [..., F] and the pixels' inputs [..., C] -> parameters [..., P]."""
        hidden = self.hidden(features)
        if self.own_channels is not None:
            hidden = hidden + self.own_channels(inputs * 2 - 1)
        return self.output(F.elu(hidden))

    def neg_log_likelihood(self, x, noise=None):
        """-log p(x) per image in nats, x [B, H, W, C] the values 0..255 -> [B], straight from the parameters."""
        inputs = x * (1 / 255)
        params = self.head(self.features(inputs, noise), inputs)
        batch, height, width, channels = x.shape
        if self.likelihood == "softmax":
            # -log softmax(l)[v] per value: [B*H*W*C, 256] and [B*H*W*C] -> [B, H*W*C] -> [B]
            per_value = F.cross_entropy(params.reshape(-1, 256), x.reshape(-1).long(), reduction="none")
            return per_value.reshape(batch, -1).sum(1)
        values = x.reshape(-1, channels)  # [M, C], a row per pixel
        log_weights, means, log_scales = channel_mixtures(params.reshape(values.shape[0], -1), values, channels, self.components, self.whole_pixel)
        # log P(x_c | earlier) = log sum_k pi_k P_k(x_c): [M, C] -> [B, H*W*C] -> [B]
        log_p = torch.logsumexp(log_bin_mass(centre_of_bin(values), means, log_scales, values) + log_weights, -1)
        return -log_p.reshape(batch, -1).sum(1)

    def bits_per_dim(self, nats):
        # nats per image / (H*W*C ln 2)
        return nats / (math.prod(self.shape) * math.log(2))

    def forward(self, x, noise):
        # L = mean over the batch of -log p(x), in nats per image (dropout on, from noise's uniforms)
        nats = self.neg_log_likelihood(x, noise).mean()
        return nats, {"nats": nats, "bits_per_dim": self.bits_per_dim(nats)}

    def held_out(self, data, index, device):
        """On the app's 200 test images, without dropout."""
        x = data.take("test", index, self.encoding).to(device)
        nats = self.neg_log_likelihood(x)
        return {"nats": nats, "bits_per_dim": self.bits_per_dim(nats)}

    def value_log_probs(self, params, inputs):
        """log P(v) of all 256 values of each channel: parameters [n, P] and the pixels' inputs [n, C] -> [n, C, 256]."""
        n, channels = inputs.shape
        if self.likelihood == "softmax":
            return params.reshape(n, channels, 256)
        # the earlier channels' values as drawn, and their x from the inputs themselves, as the app's sampler reads them
        values = torch.round(inputs * 255)
        log_weights, means, log_scales = channel_mixtures(params, values, channels, self.components, self.whole_pixel, inputs * 2 - 1)
        flat = lambda t: t.reshape(n * channels, -1)
        return mixture_log_probabilities(flat(log_weights), flat(means), flat(log_scales)).reshape(n, channels, 256)

    @torch.no_grad()
    def draw_values(self, logits, u, temperature):
        """One value per row of logits [n, 256] from uniforms u [n] (pixel-likelihood.ts's drawValues): the inverse
        CDF at u, so the same u gives the same value; temperature T divides the logits; T = 0 takes the argmax."""
        if temperature == 0:
            return logits.argmax(1).float()
        # x = #{v : F(v) <= u}, F the cumulative sum of softmax(l / T); clipped, as F(255) may round below 1
        cumulative = torch.cumsum(torch.softmax(logits / temperature, 1), 1)
        return torch.searchsorted(cumulative, u.reshape(-1, 1).contiguous(), right=True).reshape(-1).clamp(max=255).float()

    @torch.no_grad()
    def draw_with_uniforms(self, uniforms, temperature=None):
        """Images value by value, x_i ~ p(x_i | x_<i), from uniforms [H, W, C, n] in the app's order of draws (pixel
        by pixel, channel by channel, a number per image): [n, H, W, C] network inputs (v / 255). The streams run once
        a pixel, on the rows down to it (each output depends only on earlier pixels: the rows below are zero
        padding); the head once a channel, as it reads the pixel's channels drawn so far."""
        temperature = SAMPLING_TEMPERATURE if temperature is None else temperature
        height, width, channels, n = uniforms.shape
        device = next(self.parameters()).device
        canvas = torch.zeros((n, height, width, channels), device=device)
        for row in range(height):
            for column in range(width):
                features = self.features(canvas[:, : row + 1])[:, row, column]  # [n, F]
                for channel in range(channels):
                    pixel = canvas[:, row, column]
                    logits = self.value_log_probs(self.head(features, pixel), pixel)[:, channel]  # [n, 256]
                    values = self.draw_values(logits, uniforms[row, column, channel].to(device), temperature)
                    # v / 255 in double precision, then rounded once to float32, as the app's canvas stores it
                    canvas[:, row, column, channel] = (values.double() * (1 / 255)).float()
        return canvas

    @torch.no_grad()
    def sample(self, n, generator):
        """n images at the run's sampling temperature: pixels in [0, 1]."""
        height, width, channels = self.shape
        return self.draw_with_uniforms(torch.rand((height, width, channels, n), generator=generator))
`;

export const PIXELCNNPP_EXPORT: FamilyExport = {
  models: ['pixelcnnpp'],
  layerKeys: ['likelihood', 'components', 'conditioning', 'downsampling', 'shortcuts', 'residual', 'filters', 'blocks'],
  optimizers(run): OptimizerPlan[] {
    // the model's state is { network: its Adam }
    return [{ id: 'network', statePrefix: 'network/', params: params(run) }];
  },
  // the sampling temperature is a view setting (no flag): the run's value
  modelSection: (run) => `\nSAMPLING_TEMPERATURE = ${Number(run.values.temperature ?? 1)}\n${MODEL}`,
};
