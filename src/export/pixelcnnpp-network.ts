/**
 * PixelCNN++'s network in train.py (src/core/models/autoregressive/pixelcnnpp-network.ts):
 * class Model's layers, the U-net of the two streams at three scales, the head, -log p(x)
 * and the held-out figures. Its sampler's methods (./pixelcnnpp-sampler.ts) end the class.
 *
 * Paper: T. Salimans, A. Karpathy, X. Chen and D. P. Kingma, "PixelCNN++: Improving the
 * PixelCNN with Discretized Logistic Mixture Likelihood and Other Modifications", ICLR
 * 2017. https://arxiv.org/abs/1701.05517
 */

/** The Python of class Model up to its sampler: it ends inside the class, so PIXELCNNPP_SAMPLER must follow it directly. */
export const PIXELCNNPP_NETWORK = String.raw`
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
`;
