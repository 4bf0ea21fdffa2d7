/**
 * The autoencoders' export: ae, conv-ae, dae and vae (src/core/models/autoencoders/) as
 * PyTorch modules, with the same layers, losses and held-out figures.
 */
import type { ExportRun, FamilyExport } from './families';
import { convDecoderModules, convEncoderModules, denseDecoderModules, denseEncoderModules, sequentialParams } from './stacks';
import type { OptimizerPlan, ParamPlan } from './torch-layout';

const list = (value: unknown) => value as readonly number[];
const isImage = (run: ExportRun) => run.data.kind === 'image';

/** The encoder's and decoder's parameters of each model, as its Python class builds them. */
function networkParams(run: ExportRun): ParamPlan[] {
  const v = run.values;
  const output = isImage(run) ? 'sigmoid' : 'linear';
  switch (run.config.model) {
    case 'ae':
      return [...sequentialParams('encoder', denseEncoderModules(list(v.hidden))), ...sequentialParams('decoder', denseDecoderModules(list(v.hidden), output))];
    case 'conv-ae':
      return [
        ...sequentialParams('encoder', convEncoderModules(list(v.channels), Number(v.bottleneck))),
        ...sequentialParams('decoder', convDecoderModules(run.data.shape, list(v.channels), Number(v.bottleneck), String(v.upsampling), 'sigmoid')),
      ];
    case 'dae': {
      const inner = list(v.hidden).slice(0, -1);
      // the encoder's extra activation has no weights
      return [...sequentialParams('encoder', [...denseEncoderModules(inner), 'none']), ...sequentialParams('decoder', denseDecoderModules(inner, 'sigmoid'))];
    }
    case 'vae': {
      const latent = Number(v.latent);
      const conv = isImage(run) && v.arch === 'conv';
      const params = conv
        ? [...sequentialParams('encoder', convEncoderModules(list(v.channels), 2 * latent)), ...sequentialParams('decoder', convDecoderModules(run.data.shape, list(v.channels), latent, 'nearest', 'linear'))]
        : [...sequentialParams('encoder', denseEncoderModules(list(v.hidden))), ...sequentialParams('decoder', denseDecoderModules(list(v.hidden), 'linear'))];
      // log sigma_x^2 of the Gaussian likelihood on points comes after the networks' variables
      return v.likelihood === 'gaussian' ? [...params, { name: 'output_log_var', layout: 'as-is' }] : params;
    }
  }
  throw new Error(`The autoencoders' export has no model ${run.config.model}`);
}

const RECONSTRUCTION = String.raw`
def reconstruction_errors(x, x_hat, kind):
    """Per-example reconstruction error, x and x_hat [B, ...] -> [B]."""
    if kind == "mse":
        # sum_i (x_i - x_hat_i)^2 over the values of each example
        return (x - x_hat).square().flatten(1).sum(1)
    # -sum_i [x_i log x_hat_i + (1 - x_i) log(1 - x_hat_i)], clipped away from log 0
    p = x_hat.clamp(1e-6, 1 - 1e-6)
    return -(x * p.log() + (1 - x) * (1 - p).log()).flatten(1).sum(1)


class OneNetwork(nn.Module):
    """What the autoencoders share: one Adam over all their weights, batches read as floats in [0, 1]."""

    encoding = "unit"

    def optimizer_groups(self, args):
        return {"network": (self.named_parameters(), args.lr, args.beta1, args.beta2)}
`;

const AUTOENCODER = String.raw`
class Model(OneNetwork):
    """An encoder squeezes each example x into a short code z = f(x); a decoder maps it back,
    x_hat = g(z). Both are trained together to minimize the reconstruction error."""

    def __init__(self, args):
        super().__init__()
        shape = DATASET["shape"]
        # pixels come back through a sigmoid, in [0, 1]; a point's coordinates can be anything
        output = "sigmoid" if DATASET["kind"] == "image" else "linear"
        self.recon = args.recon
        # z = f(x): [B, ...example] -> [B, bottleneck]
        self.encoder = nn.Sequential(*ENCODER)
        # x_hat = g(z): [B, bottleneck] -> [B, ...example]
        self.decoder = nn.Sequential(*DECODER)

    def noise(self, n, generator):
        return {}

    def forward(self, x, noise):
        # L = mean over the batch of sum_i (x_i - g(f(x))_i)^2 (or the Bernoulli cross-entropy)
        loss = reconstruction_errors(x, self.decoder(self.encoder(x)), self.recon).mean()
        return loss, {"loss": loss}

    def held_out(self, data, index, device):
        x = data.take("test", index).to(device)
        return {"loss": reconstruction_errors(x, self.decoder(self.encoder(x)), self.recon)}
`;

const DENSE_AE = ['dense_encoder(shape, args.hidden, args.bottleneck, args.activation)', 'dense_decoder(shape, args.hidden, args.bottleneck, args.activation, output)'];
const CONV_AE = [
  'conv_encoder(shape, args.channels, args.bottleneck, args.activation)',
  'conv_decoder(shape, args.channels, args.bottleneck, args.activation, args.upsampling, "sigmoid")',
];

const DENOISING = String.raw`
EVAL_SEED = 7


class Model(OneNetwork):
    """Each training image x is corrupted, x~ = q(x), and the autoencoder must rebuild the clean
    image from the corrupted one: L = sum_i (x_i - g(f(x~))_i)^2 (or the cross-entropy)."""

    def __init__(self, args):
        super().__init__()
        shape = DATASET["shape"]
        inner, code = args.hidden[:-1], args.hidden[-1]
        self.recon, self.kind, self.level = args.recon, args.noise, args.level
        # y = s(W x~ + b): [B, H, W, C] -> [B, code], an activation after the last layer: a hidden layer, not a bottleneck
        self.encoder = nn.Sequential(*dense_encoder(shape, inner, code, args.activation), activation_layer(args.activation))
        # x_hat = g(y): [B, code] -> [B, H, W, C] in [0, 1]
        self.decoder = nn.Sequential(*dense_decoder(shape, inner, code, args.activation, "sigmoid"))

    def noise(self, n, generator):
        height, width, channels = DATASET["shape"]
        if self.kind == "gaussian":
            return {"eps": torch.randn((n, height, width, channels), generator=generator)}
        # one uniform draw a pixel, shared by its channels: a colour pixel is lost as a unit
        return {"u": torch.rand((n, height, width, 1), generator=generator)}

    def corrupt(self, x, noise):
        f = self.level
        if f == 0:
            return x
        if self.kind == "gaussian":
            # x~ = clip(x + sigma * eps, 0, 1)
            return (x + f * noise["eps"]).clamp(0, 1)
        u = noise["u"]
        if self.kind == "masking":
            # x~ = x * m, m = 0 with probability f (the pixel is lost)
            return x * (u >= f).float()
        # salt and pepper: u < f/2 -> 0, f/2 <= u < f -> 1, u >= f -> x
        return x * (u >= f).float() + ((u >= f / 2) & (u < f)).float()

    def forward(self, x, noise):
        # the target is the clean x, the input the corrupted x~
        x_hat = self.decoder(self.encoder(self.corrupt(x, noise)))
        loss = reconstruction_errors(x, x_hat, self.recon).mean()
        return loss, {"loss": loss}

    def held_out(self, data, index, device):
        x = data.take("test", index).to(device)
        # the same corruption of each test image at every evaluation
        noise = self.noise(len(index), torch.Generator().manual_seed(EVAL_SEED + index[0]))
        noisy = self.corrupt(x, {name: value.to(device) for name, value in noise.items()})
        rebuilt = self.decoder(self.encoder(noisy))
        return {
            "loss": reconstruction_errors(x, rebuilt, self.recon),
            # ||x - x~||^2 - ||x - g(f(x~))||^2: > 0 when the output is closer to the clean image than the noisy input
            "denoise_gain": reconstruction_errors(x, noisy, "mse") - reconstruction_errors(x, rebuilt, "mse"),
        }
`;

const VARIATIONAL = String.raw`
LOG_2PI = math.log(2 * math.pi)
EVAL_SEED = 7
IWAE_SIZE = 100


class Model(OneNetwork):
    """The encoder gives the mean mu and log-variance log sigma^2 of q(z|x); z = mu + sigma * eps,
    eps ~ N(0, I) (the reparameterization trick); the decoder gives p(x|z). We minimize, per example,
        L = E_q[-log p(x|z)] + beta * KL(q(z|x) || N(0, I))     (beta = 1: the negative ELBO)."""

    def __init__(self, args):
        super().__init__()
        shape = DATASET["shape"]
        self.images = DATASET["kind"] == "image"
        self.latent, self.beta, self.k, self.likelihood = args.latent, args.beta, args.k, args.likelihood
        self.encoding = "binary-sampled" if self.likelihood == "binarized" else "unit"
        if self.images and getattr(args, "arch", "dense") == "conv":
            # [B, H, W, C] -> [B, 2d], the concatenation [mu, log sigma^2]; the decoder gives Bernoulli logits
            self.encoder = nn.Sequential(*conv_encoder(shape, args.channels, 2 * self.latent, "relu"))
            self.decoder = nn.Sequential(*conv_decoder(shape, args.channels, self.latent, "relu", "nearest", "logits"))
        else:
            self.encoder = nn.Sequential(*dense_encoder(shape, args.hidden, 2 * self.latent, "relu"))
            self.decoder = nn.Sequential(*dense_decoder(shape, args.hidden, self.latent, "relu", "logits"))
        if self.likelihood == "gaussian":
            # log sigma_x^2 of the Gaussian likelihood on points, one per coordinate, learned; it starts narrow
            self.output_log_var = nn.Parameter(torch.full((shape[0],), math.log(0.01)))

    def posterior(self, x):
        """q(z|x): [B, ...example] -> mu, log sigma^2, each [B, d]."""
        mu, log_var = self.encoder(x).chunk(2, dim=1)
        return mu, log_var

    def neg_log_likelihood(self, x, output):
        """-log p(x|z) per example, from the decoder's output: [B]."""
        if self.likelihood == "gaussian":
            # -log N(x; mu, sigma^2) = 1/2 sum_j [log 2 pi + log sigma_j^2 + (x_j - mu_j)^2 / sigma_j^2]
            return 0.5 * ((x - output).square() / self.output_log_var.exp() + self.output_log_var + LOG_2PI).sum(1)
        if not self.images:
            return (x - output).square().sum(1)
        if self.likelihood == "mse":
            return (x - torch.sigmoid(output)).square().flatten(1).sum(1)
        # -log Bernoulli(x; sigmoid(l)) = softplus(l) - x * l, stable for large |l|
        return (F.softplus(output) - x * output).flatten(1).sum(1)

    def noise(self, n, generator):
        return {"eps": torch.randn((n, self.latent), generator=generator)}

    def bound(self, x, eps):
        """Per-example terms of the bound: recon [B], kl [B]."""
        mu, log_var = self.posterior(x)
        # z = mu + sigma * eps, sigma = exp(log sigma^2 / 2)
        z = mu + (0.5 * log_var).exp() * eps
        recon = self.neg_log_likelihood(x, self.decoder(z))
        # KL(N(mu, sigma^2) || N(0, I)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)
        kl = (0.5 * (mu.square() + log_var.exp() - 1 - log_var)).sum(1)
        return recon, kl

    def forward(self, x, noise):
        recon, kl = self.bound(x, noise["eps"])
        # L = mean over the batch of [-log p(x|z) + beta * KL]
        loss = (recon + self.beta * kl).mean()
        return loss, {"loss": loss, "recon": recon.mean(), "kl": kl.mean()}

    def test_examples(self, data, index, device):
        """Test examples as the likelihood reads them: binarized the same way at every evaluation."""
        return data.take("test", index, self.encoding, torch.Generator().manual_seed(EVAL_SEED + index[0])).to(device)

    def held_out(self, data, index, device):
        x = self.test_examples(data, index, device)
        eps = torch.randn((len(index), self.latent), generator=torch.Generator().manual_seed(EVAL_SEED + 1 + index[0])).to(device)
        recon, kl = self.bound(x, eps)
        terms = {"loss": recon + self.beta * kl, "recon": recon, "kl": kl}
        if self.likelihood != "mse":
            terms["neg_elbo"] = recon + kl
            if self.images:
                # nats per example / (D ln 2): bits per dimension
                terms["bits_per_dim"] = terms["neg_elbo"] / (math.prod(DATASET["shape"]) * math.log(2))
        return terms

    def held_out_extra(self, data, device):
        if self.likelihood == "mse":
            return {}
        index = list(range(min(IWAE_SIZE, data.count("test"))))
        x = self.test_examples(data, index, device)
        return {"nll_iwae": self.importance_weighted_nll(x, self.k, torch.Generator().manual_seed(EVAL_SEED + 2)).mean().item()}

    def importance_weighted_nll(self, x, k, generator):
        """Burda et al. 2016: log p(x) >= log 1/k sum_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x). [B]"""
        mu, log_var = self.posterior(x)
        log_weights = []
        for _ in range(k):
            eps = torch.randn(mu.shape, generator=generator).to(x.device)
            z = mu + (0.5 * log_var).exp() * eps
            # log N(z; 0, I) and log N(z; mu, sigma^2)
            log_pz = -0.5 * (z.square().sum(1) + self.latent * LOG_2PI)
            log_qz = -0.5 * ((eps.square() + log_var).sum(1) + self.latent * LOG_2PI)
            log_weights.append(-self.neg_log_likelihood(x, self.decoder(z)) + log_pz - log_qz)
        # log-mean-exp over the k samples, [k, B] -> [B]
        return -(torch.logsumexp(torch.stack(log_weights), 0) - math.log(k))

    @torch.no_grad()
    def decode_mean(self, z):
        """The mean of p(x|z): pixels in [0, 1] (the sigmoid of the logits), or the decoded point."""
        output = self.decoder(z)
        return torch.sigmoid(output) if self.images else output

    @torch.no_grad()
    def sample(self, n, generator):
        """x ~ p(x|z), z ~ N(0, I): the Bernoulli means for images, the mean plus the learned noise for points."""
        device = next(self.parameters()).device
        x = self.decode_mean(torch.randn((n, self.latent), generator=generator).to(device))
        if self.likelihood == "gaussian":
            x = x + (0.5 * self.output_log_var).exp() * torch.randn(x.shape, generator=generator).to(device)
        return x
`;

function modelSection(run: ExportRun): string {
  switch (run.config.model) {
    case 'ae':
    case 'conv-ae': {
      const [encoder, decoder] = run.config.model === 'ae' ? DENSE_AE : CONV_AE;
      return RECONSTRUCTION + AUTOENCODER.replace('*ENCODER', `*${encoder}`).replace('*DECODER', `*${decoder}`);
    }
    case 'dae':
      return RECONSTRUCTION + DENOISING;
    case 'vae':
      return RECONSTRUCTION + VARIATIONAL;
  }
  throw new Error(`The autoencoders' export has no model ${run.config.model}`);
}

export const AUTOENCODERS_EXPORT: FamilyExport = {
  models: ['ae', 'conv-ae', 'dae', 'vae'],
  layerKeys: ['hidden', 'bottleneck', 'channels', 'upsampling', 'latent', 'arch', 'likelihood'],
  optimizers(run): OptimizerPlan[] {
    // the plain autoencoders' state is their optimizer; the others name it `network` beside their noise source
    return [{ id: 'network', statePrefix: run.config.model === 'ae' || run.config.model === 'conv-ae' ? '' : 'network/', params: networkParams(run) }];
  },
  modelSection,
};
