/**
 * PixelCNN++'s sampler in train.py (src/core/models/autoregressive/pixel-sampler.ts,
 * pixel-likelihood.ts): class Model's last methods, which draw images value by value from
 * the mixture (or the softmax) by the app's inverse-CDF draw, from the app's uniforms.
 *
 * Paper: T. Salimans, A. Karpathy, X. Chen and D. P. Kingma, "PixelCNN++: Improving the
 * PixelCNN with Discretized Logistic Mixture Likelihood and Other Modifications", ICLR
 * 2017. https://arxiv.org/abs/1701.05517
 */

/** The Python of class Model's sampling methods, indented as methods: it goes straight after PIXELCNNPP_NETWORK. */
export const PIXELCNNPP_SAMPLER = String.raw`
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
