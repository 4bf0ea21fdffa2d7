/**
 * PixelCNN's export, both architectures:
 * - plain (src/core/models/autoregressive/pixelcnn-network.ts, masked-conv.ts): masked
 *   convolutions, types A then B, with residual connections;
 * - gated (gated-pixelcnn-network.ts, gated-pixelcnn-convs.ts): a vertical and a horizontal
 *   stack of window convolutions, tanh x sigmoid gates, the link a row down, residuals;
 * both with the masked head (masked-head.ts), colour groups, the app's initialization, the
 * 256-way softmax or the Bernoulli, held-out bits/dim and value-by-value sampling
 * (./python-autoregressive.ts; the gated one keeps its vertical stack row by row, as
 * gated-pixelcnn-cache.ts does). train.py holds both; --architecture (with --fresh) switches.
 */
import type { ExportRun, FamilyExport } from './families';
import { AUTOREGRESSIVE } from './python-autoregressive';
import type { OptimizerPlan, ParamPlan } from './torch-layout';

/** A layer's kernel (TF.js [kh, kw, in, out]) then its bias. */
const convParams = (layer: string): ParamPlan[] => [
  { name: `${layer}.weight`, layout: 'conv' },
  { name: `${layer}.bias`, layout: 'as-is' },
];

/** The variables in the order the network creates them, kernel then bias: the plain one's first, blocks, head; the gated one's layers (both stacks' f and g, the link's, the residual), head. */
function params(run: ExportRun): ParamPlan[] {
  const layers = Number(run.values.layers);
  const head = ['hidden', 'output'];
  if ((run.values.architecture ?? 'plain') === 'gated') {
    const gated = Array.from({ length: layers + 1 }, (_, i) => [
      ...['vertical', 'horizontal', 'link'].flatMap((stack) => ['f', 'g'].map((half) => `layers.${i}.${stack}.${half}`)),
      ...(i > 0 ? [`layers.${i}.residual`] : []),
    ]).flat();
    return [...gated, ...head].flatMap(convParams);
  }
  return ['first', ...Array.from({ length: layers }, (_, i) => `blocks.${i}`), ...head].flatMap(convParams);
}

const PLAIN = String.raw`
class PlainPixelCNN(PixelModel):
    """PixelCNN (van den Oord et al. 2016, "Pixel Recurrent Neural Networks", section 3.4): masked convolutions,
        h_0 = conv_A(x)
        h_l = h_{l-1} + conv_B(relu(h_{l-1})),   l = 1..L
        features = relu(h_L)
    Up and to the right of each pixel lies a blind spot the stacked windows never reach."""

    def __init__(self, args):
        super().__init__(args)
        channels = self.shape[2]
        kernel, first_kernel, groups = int(args.kernel), int(args.first_kernel), channels
        self.first = MaskedConv2d(first_kernel, channels, args.filters, "A", groups)
        self.blocks = nn.ModuleList([MaskedConv2d(kernel, args.filters, args.filters, "B", groups) for _ in range(args.layers)])
        self.add_head(args.filters)
        # rows above a prediction that it depends on (the 1x1 head adds none)
        self.reach = (first_kernel - 1) // 2 + args.layers * (kernel - 1) // 2

    def features(self, x):
        """[B, C, H, W] -> [B, F, H, W]."""
        h = self.first(x)
        for block in self.blocks:
            # the identity path is a 1x1 'B' mask, so it keeps causality
            h = h + block(F.relu(h))
        return F.relu(h)
`;

const GATED = String.raw`
def horizontal_mask(width, in_channels, out_channels, kind, groups):
    """The 0/1 mask of a horizontal window, [out, in, 1, width] (gated-pixelcnn-convs.ts): the columns left of the
    last are kept; at the last, the pixel itself, group g reads groups g' < g ('A') or g' <= g ('B')."""
    column = torch.arange(width).view(1, 1, 1, width)
    source = channel_group(torch.arange(in_channels), in_channels, groups).view(1, in_channels, 1, 1)
    target = channel_group(torch.arange(out_channels), out_channels, groups).view(out_channels, 1, 1, 1)
    allowed = source < target if kind == "A" else source <= target
    return ((column < width - 1) | allowed).float()


class WindowConv(nn.Module):
    """A stride-1 convolution over a rows x columns window that ends at its output's row (gated-pixelcnn-convs.ts):
    the input padded with zeros on top and to the sides as far as the window reaches, none below, so no output
    reads a later row,
        y = (W * M) conv x + b,
    M the mask of a horizontal window (all ones otherwise). Fresh kernels are Glorot-uniform over the weights M keeps."""

    def __init__(self, rows, columns, in_channels, out_channels, padding, mask=None):
        super().__init__()
        self.padding = padding  # (top, left, right)
        mask = torch.ones(out_channels, in_channels, rows, columns) if mask is None else mask
        self.register_buffer("mask", mask, persistent=False)  # a constant: not in the weights file
        kept = mask.sum().item()
        limit = math.sqrt(6 / max(1, kept / out_channels + kept / in_channels))
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, rows, columns).uniform_(-limit, limit))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x):
        """[B, in, H, W] -> [B, out, H, W]."""
        top, left, right = self.padding
        return F.conv2d(F.pad(x, (left, right, top, 0)), self.weight * self.mask, self.bias)


class GatePair(nn.Module):
    """The two halves of a gate, f and g: two convolutions of the same window, each with its own weights."""

    def __init__(self, make):
        super().__init__()
        self.f, self.g = make(), make()

    def forward(self, x):
        return self.f(x), self.g(x)


def gate(f, g):
    # tanh(f) ⊙ sigmoid(g)
    return torch.tanh(f) * torch.sigmoid(g)


class GatedLayer(nn.Module):
    """One layer of both stacks (gated-pixelcnn-network.ts), k its window:
        v_l = gate(W^v_f * v_{l-1}, W^v_g * v_{l-1})                  a (k/2 + 1) x k window ending at the row
        a_l = W^h_a * h_{l-1} + W^link_a · down(v_l),   a = f, g      a 1 x (k/2 + 1) window ending at the pixel
        h_l = h_{l-1} + W^res · gate(f_l, g_l)                        (the first layer: h_0 = gate(f_0, g_0))
    down(v) moves v a row down, so the horizontal stack never sees its own row's future; the horizontal stack and
    the residual keep colours apart (mask A at the pixel in the first layer, B after), the link reads rows above only."""

    def __init__(self, kernel, in_channels, filters, kind, groups, residual):
        super().__init__()
        half = (kernel - 1) // 2
        self.vertical = GatePair(lambda: WindowConv(half + 1, kernel, in_channels, filters, (half, half, half)))
        self.horizontal = GatePair(lambda: WindowConv(1, half + 1, in_channels, filters, (0, half, 0), horizontal_mask(half + 1, in_channels, filters, kind, groups)))
        self.link = GatePair(lambda: WindowConv(1, 1, filters, filters, (0, 0, 0)))
        self.residual = WindowConv(1, 1, filters, filters, (0, 0, 0), horizontal_mask(1, filters, filters, "B", groups)) if residual else None

    def forward(self, v, h):
        """Both stacks, [B, *, H, W] each -> [B, F, H, W] each."""
        v = gate(*self.vertical(v))
        return v, self.horizontal_stack(h, shift_down(v))

    def horizontal_stack(self, h, above):
        """h_l from h_{l-1} [B, *, H, W] and the vertical stack's v_l a row down, [B, F, H, W]."""
        above_f, above_g = self.link(above)
        f, g = self.horizontal(h)
        out = gate(f + above_f, g + above_g)
        return out if self.residual is None else h + self.residual(out)


class GatedPixelCNN(PixelModel):
    """The gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders", section 2.2
    and figure 2, https://arxiv.org/abs/1606.05328): a vertical stack sees the rows above across its whole window, a
    horizontal stack the pixels to the left, joined a row down: no blind spot. L + 1 gated layers (the first on the
    image, with the type-A window), then features = relu(h_L)."""

    def __init__(self, args):
        super().__init__(args)
        channels = self.shape[2]
        kernel, first_kernel, groups = int(args.kernel), int(args.first_kernel), channels
        first = GatedLayer(first_kernel, channels, args.filters, "A", groups, residual=False)
        self.layers = nn.ModuleList([first] + [GatedLayer(kernel, args.filters, args.filters, "B", groups, residual=True) for _ in range(args.layers)])
        self.add_head(args.filters)

    def features(self, x):
        """[B, C, H, W] -> [B, F, H, W]."""
        v = h = x
        for layer in self.layers:
            v, h = layer(v, h)
        return F.relu(h)

    def value_pass(self, canvas):
        """The sampler's pass with the vertical stack kept (as the app's gated-pixelcnn-cache.ts keeps it): the horizontal
        stack at row r reads the vertical stack only a row down, so each layer's v of a row is computed once, when the
        row is drawn, from the rows above it; a value then takes the horizontal stack along its own row alone."""
        x = canvas.permute(0, 3, 1, 2)  # [n, C, H, W], a view: it sees the values as they are drawn
        # each layer's v of the rows drawn so far: [n, F, rows, W]
        kept = [x.new_zeros(x.shape[0], layer.link.f.weight.shape[0], 0, x.shape[3]) for layer in self.layers]

        def logits(row, column, channel):
            while kept[0].shape[2] < row:  # a row drawn since: its vertical stack, layer by layer, from the rows above
                r, below = kept[0].shape[2], x
                for l, layer in enumerate(self.layers):
                    half = layer.vertical.f.padding[0]  # the window's rows above its own
                    v = gate(*layer.vertical(below[:, :, max(0, r - half) : r + 1]))[:, :, -1:]  # [n, F, 1, W]
                    kept[l] = torch.cat([kept[l], v], 2)
                    below = kept[l]
            h = x[:, :, row : row + 1]
            for layer, v in zip(self.layers, kept):
                # the vertical stack of the row above (zeros above the first row, as shift_down puts there)
                above = v[:, :, row - 1 : row] if row > 0 else v.new_zeros(v.shape[0], v.shape[1], 1, v.shape[3])
                h = layer.horizontal_stack(h, above)
            return self.head(F.relu(h))[:, 0, column, channel]

        return logits
`;

const CHOICE = String.raw`
def Model(args):
    """The run's architecture, or the other one (--architecture, with --fresh: its layers differ)."""
    return {"plain": PlainPixelCNN, "gated": GatedPixelCNN}[args.architecture](args)
`;

export const PIXELCNN_EXPORT: FamilyExport = {
  models: ['pixelcnn'],
  layerKeys: ['data', 'architecture', 'layers', 'filters', 'kernel', 'first_kernel'],
  optimizers(run): OptimizerPlan[] {
    // the model's state is { network: its Adam }
    return [{ id: 'network', statePrefix: 'network/', params: params(run) }];
  },
  // the sampling temperature is a view setting (no flag): the run's value
  modelSection: (run) => `\nSAMPLING_TEMPERATURE = ${Number(run.values.temperature ?? 1)}\n${AUTOREGRESSIVE}${PLAIN}${GATED}${CHOICE}`,
};
