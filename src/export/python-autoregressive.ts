/**
 * What the exports of the autoregressive image models share (PixelCNN, gated PixelCNN and
 * PixelRNN: src/core/models/autoregressive/): masked convolutions, the masked output head,
 * the 256-way softmax or the Bernoulli and their -log p(x), held-out bits/dim on the app's
 * 200 test images, and value-by-value sampling by the inverse CDF (autoregressive-model.ts,
 * masked-conv.ts, masked-head.ts, pixel-likelihood.ts, pixel-sampler.ts).
 *
 * A family's section subclasses PixelModel: it builds its layers, then add_head(features),
 * and defines features(x) ([B, C, H, W] network inputs -> [B, F, H, W]) and either reach
 * (rows above a prediction that it depends on: the sampler runs the network on those) or a
 * value_pass of its own (PixelRNN's, which keeps its LSTMs' states row by row).
 */
export const AUTOREGRESSIVE = String.raw`
# The held-out figures' test images and their binarization seed (autoregressive-model.ts)
HELD_OUT_SIZE = 200
EVAL_SEED = 7


def channel_group(index, count, groups):
    """Which of groups colour groups channel index of count is in (masked-conv.ts's channelGroup): consecutive
    blocks of (nearly) equal size, floor(index * groups / count). Works on tensors of indices too."""
    return index * groups // count


def mask_values(kernel, in_channels, out_channels, kind, groups):
    """The 0/1 mask of a kernel, [out, in, k, k] (van den Oord et al. 2016, section 3.4 and figure 4): rows above
    the centre and pixels left of it are kept; at the centre, channels split into groups (R, G, B on colour
    images, one group on grey ones) and group g reads groups g' < g (mask A, the first layer) or g' <= g (mask B)."""
    centre = (kernel - 1) // 2
    row = torch.arange(kernel).view(1, 1, kernel, 1)
    column = torch.arange(kernel).view(1, 1, 1, kernel)
    source = channel_group(torch.arange(in_channels), in_channels, groups).view(1, in_channels, 1, 1)
    target = channel_group(torch.arange(out_channels), out_channels, groups).view(out_channels, 1, 1, 1)
    at_centre = (row == centre) & (column == centre)
    before = (row < centre) | ((row == centre) & (column < centre))
    allowed = source < target if kind == "A" else source <= target
    return (before | (at_centre & allowed)).float()


class MaskedConv2d(nn.Module):
    """A stride-1 'same' convolution whose kernel is multiplied by the mask in the forward pass,
        y = (W * M) conv x + b,
    so a masked weight gets exactly zero gradient. Fresh kernels are Glorot-uniform over the weights the mask
    keeps, as in the app (a type-A 3x3 window keeps 4 of its 9 pixels)."""

    def __init__(self, kernel, in_channels, out_channels, kind, groups):
        super().__init__()
        self.kernel = kernel
        mask = mask_values(kernel, in_channels, out_channels, kind, groups)
        self.register_buffer("mask", mask, persistent=False)  # a constant: not in the weights file
        kept = mask.sum().item()
        limit = math.sqrt(6 / max(1, kept / out_channels + kept / in_channels))
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel, kernel).uniform_(-limit, limit))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x):
        # An odd kernel at stride 1: TensorFlow's 'same' padding is (k - 1) / 2 on every side. The rows below the
        # centre are wholly masked, so the convolution runs over the rows down to the centre, padded above and not
        # below: the same sums without the masked taps' zero products (10 of a 5x5 window's 25), as in the app.
        half = self.kernel // 2
        return F.conv2d(F.pad(x, (half, half, half, 0)), (self.weight * self.mask)[:, :, : half + 1], self.bias)


def shift_down(x):
    """Every row moved down by one, the top row zero: [B, F, H, W] -> [B, F, H, W], row r holding what row r - 1 held."""
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1]


class PixelModel(nn.Module):
    """An autoregressive image model (van den Oord et al. 2016, "Pixel Recurrent Neural Networks", section 2): by the
    chain rule p(x) = prod_i p(x_i | x_<i), values in raster order and R, G, B within a pixel, every conditional
    from one pass of the network, whose features go through a masked head to K scores per value:
        logits = conv_1x1(relu(conv_1x1(features(x))))
    a 256-way softmax over the values 0..255, or (binarized data) one Bernoulli logit. Training minimizes the exact
    -log p(x) in nats per image, averaged over the batch."""

    def __init__(self, args):
        super().__init__()
        self.shape = DATASET["shape"]
        self.pixel_data = args.data
        # how batches are read: the values 0..255, or binarized by a fixed threshold or by sampling
        self.encoding = {"bytes": "bytes", "threshold": "binary-threshold", "sampled": "binary-sampled"}[args.data]
        self.categories = 256 if args.data == "bytes" else 1  # a 256-way softmax, or one Bernoulli logit per value
        self.scale = 1 / 255 if args.data == "bytes" else 1  # the network's input for a value v: v * scale
        self.held_out_size = HELD_OUT_SIZE

    def add_head(self, features):
        """The two masked 1x1 layers to K scores per value (masked-head.ts), type B with one group per colour, so
        colour c's scores read only the features of colours up to c."""
        channels = self.shape[2]
        self.hidden = MaskedConv2d(1, features, features, "B", channels)
        # output channel c * K + k is logit k of colour c: group c of the mask is colour c
        self.output = MaskedConv2d(1, features, channels * self.categories, "B", channels)

    def optimizer_groups(self, args):
        return {"network": (self.named_parameters(), args.lr, args.beta1, args.beta2)}

    def head(self, features):
        """[B, F, H, W] features -> [B, H, W, C, K] scores."""
        out = self.output(F.relu(self.hidden(features))).permute(0, 2, 3, 1)  # [B, H, W, C * K]
        return out.reshape(*out.shape[:3], self.shape[2], self.categories)  # [B, H, W, C, K]

    def logits(self, inputs):
        """[B, H, W, C] network inputs -> [B, H, W, C, K]."""
        return self.head(self.features(inputs.permute(0, 3, 1, 2)))

    def neg_log_likelihood(self, x):
        """-log p(x) per image in nats, x [B, H, W, C] as read (values 0..255, or 0/1) -> [B]."""
        logits = self.logits(x * self.scale)
        if self.categories == 1:
            l = logits.squeeze(4)
            # -log Bernoulli(x; sigmoid(l)) = softplus(l) - x * l, stable for large |l|
            return (F.softplus(l) - x * l).flatten(1).sum(1)
        # -log softmax(l)[v] per value: [B*H*W*C, 256] and [B*H*W*C] -> [B, H*W*C] -> [B]
        per_value = F.cross_entropy(logits.reshape(-1, 256), x.reshape(-1).long(), reduction="none")
        return per_value.reshape(x.shape[0], -1).sum(1)

    def bits_per_dim(self, nats):
        # nats per image / (H*W*C ln 2)
        return nats / (math.prod(self.shape) * math.log(2))

    def noise(self, n, generator):
        return {}  # a step's only randomness is the batch (and its binarization)

    def forward(self, x, noise):
        # L = mean over the batch of -log p(x), in nats per image
        nats = self.neg_log_likelihood(x).mean()
        return nats, {"nats": nats, "bits_per_dim": self.bits_per_dim(nats)}

    def held_out(self, data, index, device):
        """On the app's 200 test images, binarized by sampling as the app does (each image's coins from its index and EVAL_SEED)."""
        x = data.take("test", index, self.encoding, seed=EVAL_SEED).to(device)
        nats = self.neg_log_likelihood(x)
        return {"nats": nats, "bits_per_dim": self.bits_per_dim(nats)}

    @torch.no_grad()
    def draw_values(self, logits, u, temperature):
        """One value per row of logits [n, K] from uniforms u [n] (pixel-likelihood.ts's drawValues): the inverse
        CDF at u, so the same u gives the same value; temperature T divides the logits; T = 0 takes the argmax."""
        if self.categories == 1:
            l = logits.reshape(-1)
            if temperature == 0:
                return (l > 0).float()
            return (u < torch.sigmoid(l / temperature)).float()  # x = [u < sigmoid(l / T)]
        if temperature == 0:
            return logits.argmax(1).float()
        # x = #{v : F(v) <= u}, F the cumulative sum of softmax(l / T); clipped, as F(255) may round below 1
        cumulative = torch.cumsum(torch.softmax(logits / temperature, 1), 1)
        return torch.searchsorted(cumulative, u.reshape(-1, 1).contiguous(), right=True).reshape(-1).clamp(max=255).float()

    def value_pass(self, canvas):
        """How the sampler computes the logits [n, K] of value (row, column, channel) of the canvas [n, H, W, C], every
        value before it drawn: the network on the rows the value can depend on (reach rows above, all columns). Zero
        padding stands in for the rows cut off, and it reaches no value the prediction depends on."""

        def logits(row, column, channel):
            top = max(0, row - self.reach)
            return self.logits(canvas[:, top : row + 1])[:, row - top, column, channel]

        return logits

    @torch.no_grad()
    def draw_with_uniforms(self, uniforms, temperature=None):
        """Images value by value, x_i ~ p(x_i | x_<i), from uniforms [H, W, C, n] in the app's order of draws
        (pixel by pixel, channel by channel, a number per image): [n, H, W, C] network inputs (v * scale)."""
        temperature = SAMPLING_TEMPERATURE if temperature is None else temperature
        height, width, channels = self.shape
        n = uniforms.shape[-1]
        device = next(self.parameters()).device
        canvas = torch.zeros((n, height, width, channels), device=device)
        logits_of = self.value_pass(canvas)
        for row in range(height):
            for column in range(width):
                for channel in range(channels):
                    logits = logits_of(row, column, channel)  # [n, K]
                    values = self.draw_values(logits, uniforms[row, column, channel].to(device), temperature)
                    # v * scale in double precision, then rounded once to float32, as the app's canvas stores it
                    canvas[:, row, column, channel] = (values.double() * self.scale).float()
        return canvas

    @torch.no_grad()
    def sample(self, n, generator):
        """n images at the run's sampling temperature: pixels in [0, 1]."""
        height, width, channels = self.shape
        return self.draw_with_uniforms(torch.rand((height, width, channels, n), generator=generator))
`;
