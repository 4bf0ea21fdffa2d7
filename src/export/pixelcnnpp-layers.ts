/**
 * PixelCNN++'s layers in train.py (src/core/models/autoregressive/: shifted-conv.ts,
 * gated-resnet.ts, masked-conv.ts): the shifted convolutions of the two streams, the 1x1
 * layers (masked ones for colours in order), TF.js's dropout from its uniforms, the residual
 * block, and the containers that name the parameters as the app's checkpoint orders them.
 *
 * Paper: T. Salimans, A. Karpathy, X. Chen and D. P. Kingma, "PixelCNN++: Improving the
 * PixelCNN with Discretized Logistic Mixture Likelihood and Other Modifications", ICLR
 * 2017. https://arxiv.org/abs/1701.05517
 */

/** The Python of the layers; it reads WINDOWS (./pixelcnnpp.ts's constants). */
export const PIXELCNNPP_LAYERS = String.raw`
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
`;
