/**
 * PixelCNN++'s discretized logistic mixture in train.py (src/core/models/autoregressive/
 * logistic-mixture.ts): a value's bin mass, each channel's mixture (whole-pixel
 * conditioning or a mixture per channel), and log P of all 256 values for the sampler.
 *
 * Paper: T. Salimans, A. Karpathy, X. Chen and D. P. Kingma, "PixelCNN++: Improving the
 * PixelCNN with Discretized Logistic Mixture Likelihood and Other Modifications", ICLR
 * 2017. https://arxiv.org/abs/1701.05517
 */

/** The Python of the mixture; it reads HALF_BIN and the bounds on log s (./pixelcnnpp.ts's constants). */
export const PIXELCNNPP_MIXTURE = String.raw`
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
`;
