/**
 * The GAN's export (src/core/models/gan/): G and D as PyTorch modules, every loss and
 * stabilizer the app offers, one Adam per network, and TF.js's batch normalization.
 */
import type { ExportRun, FamilyExport } from './families';
import type { BufferPlan, OptimizerPlan, ParamPlan } from './torch-layout';

const list = (value: unknown) => value as readonly number[];
const weight = (prefix: string, layout: ParamPlan['layout']): ParamPlan => ({ name: `${prefix}.weight`, layout });
const bias = (prefix: string): ParamPlan => ({ name: `${prefix}.bias`, layout: 'as-is' });

/** G's and D's variables, as gan-networks.ts creates them and train.py names them. */
function networks(run: ExportRun): { generator: ParamPlan[]; discriminator: ParamPlan[]; statistics: string[] } {
  const head = [weight('head', 'dense'), bias('head')];
  if (run.data.kind === 'points') {
    const hidden = list(run.values.hidden);
    // G: [Linear, activation] per hidden layer, Linear; D's body: [Linear, LeakyReLU] per hidden layer
    const generator = [...hidden, 2].flatMap((_, i) => [weight(`generator.${2 * i}`, 'dense'), bias(`generator.${2 * i}`)]);
    const body = hidden.flatMap((_, i) => [weight(`body.${2 * i}`, 'dense'), bias(`body.${2 * i}`)]);
    return { generator, discriminator: [...body, ...head], statistics: [] };
  }
  // G: Linear (no bias), BatchNorm, ReLU, Unflatten, ChannelsFirst, Upsample, Conv (no bias), BatchNorm, ReLU, Upsample, Conv, Sigmoid, ...
  const generator = [
    weight('generator.0', 'dense'),
    weight('generator.1', 'as-is'),
    bias('generator.1'),
    weight('generator.6', 'conv'),
    weight('generator.7', 'as-is'),
    bias('generator.7'),
    weight('generator.10', 'conv'),
    bias('generator.10'),
  ];
  // D's body: ChannelsFirst, Conv, LeakyReLU, Conv, LeakyReLU, ChannelsLast, Flatten
  const body = [weight('body.1', 'conv'), bias('body.1'), weight('body.3', 'conv'), bias('body.3')];
  return { generator, discriminator: [...body, ...head], statistics: ['generator.1', 'generator.7'] };
}

const MODEL = String.raw`
LEAKY_SLOPE = 0.2


class BatchNorm(nn.Module):
    """Batch normalization (S. Ioffe and C. Szegedy, https://arxiv.org/abs/1502.03167) as TF.js's layer
    computes it, over every axis but axis 1: in training the batch's mean and biased variance,
        y = gamma * (x - mean) / sqrt(var + 0.001) + beta,
    and moving averages for inference, moving <- moving - (1 - 0.99) * (moving - batch value).
    (torch.nn.BatchNorm keeps the unbiased variance and has another epsilon.)"""

    def __init__(self, features):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(features))
        self.bias = nn.Parameter(torch.zeros(features))
        self.register_buffer("running_mean", torch.zeros(features))
        self.register_buffer("running_var", torch.ones(features))

    def forward(self, x):
        axes = [axis for axis in range(x.dim()) if axis != 1]
        shape = [1, -1] + [1] * (x.dim() - 2)
        if self.training:
            mean, var = x.mean(axes), x.var(axes, unbiased=False)
            with torch.no_grad():
                self.running_mean.sub_((self.running_mean - mean) * (1 - 0.99))
                self.running_var.sub_((self.running_var - var) * (1 - 0.99))
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean.view(shape)) / torch.sqrt(var.view(shape) + 0.001) * self.weight.view(shape) + self.bias.view(shape)


def dense_networks(noise, classes, hidden, activation):
    """Points: G [B, noise + classes] -> [B, 2]; D's body [B, 2 + classes] -> [B, F], LeakyReLU so a fake in a flat region still gets a gradient."""
    generator, width = [], noise + classes
    for units in hidden:
        generator += [nn.Linear(width, units), activation_layer(activation)]
        width = units
    generator.append(nn.Linear(width, 2))
    body, width = [], 2 + classes
    for units in hidden:
        body += [nn.Linear(width, units), nn.LeakyReLU(LEAKY_SLOPE)]
        width = units
    return generator, body, hidden[-1]


def conv_networks(shape, noise, classes, channels):
    """Images, DCGAN (Radford et al. 2016, https://arxiv.org/abs/1511.06434): G grows a map a quarter of the
    image's size by upsampling and 3x3 convolutions with batch normalization; D halves the image twice with
    stride-2 convolutions and LeakyReLU."""
    height, width, depth = shape
    narrow, wide = channels[0], channels[-1]
    base_h, base_w = math.ceil(height / 4), math.ceil(width / 4)
    generator = [
        nn.Linear(noise + classes, base_h * base_w * wide, bias=False),
        BatchNorm(base_h * base_w * wide),
        nn.ReLU(),
        nn.Unflatten(1, (base_h, base_w, wide)),  # [B, h*w*C] -> [B, h, w, C]
        ChannelsFirst(),
        Upsample2x("nearest"),
        SameConv2d(wide, narrow, 3, 1, bias=False),
        BatchNorm(narrow),
        nn.ReLU(),
        Upsample2x("nearest"),
        SameConv2d(narrow, depth, 3, 1),
        nn.Sigmoid(),  # pixels in [0, 1], like the data
    ]
    if 4 * base_h != height or 4 * base_w != width:
        generator.append(Crop(height, width))
    generator.append(ChannelsLast())
    body = [
        ChannelsFirst(),
        SameConv2d(depth + classes, narrow, 3, 2),
        nn.LeakyReLU(LEAKY_SLOPE),
        SameConv2d(narrow, wide, 3, 2),
        nn.LeakyReLU(LEAKY_SLOPE),
        ChannelsLast(),
        nn.Flatten(),  # [B, H/4, W/4, C] -> [B, H/4 * W/4 * C]
    ]
    return generator, body, base_h * base_w * wide


class Model(nn.Module):
    """G maps noise z ~ N(0, I) to an example; D maps an example to a logit (the Wasserstein critic to a
    score). Each network has its own Adam, so a discriminator step never moves the generator."""

    def __init__(self, args):
        super().__init__()
        self.images = DATASET["kind"] == "image"
        self.loss, self.d_steps, self.noise_size = args.loss, args.d_steps, args.noise
        self.minibatch_std, self.gp, self.feature_matching, self.r1 = args.mbstd == "on", args.gp, args.feature_matching, args.r1
        self.classes = DATASET["classes"] if getattr(args, "conditional", "off") == "on" else 0
        if self.images:
            generator, body, features = conv_networks(DATASET["shape"], self.noise_size, self.classes, args.channels)
        else:
            generator, body, features = dense_networks(self.noise_size, self.classes, args.hidden, args.activation)
        self.generator, self.body = nn.Sequential(*generator), nn.Sequential(*body)
        # [B, F (+1 with the minibatch standard deviation)] -> [B, 1]
        self.head = nn.Linear(features + (1 if self.minibatch_std else 0), 1)

    def optimizer_groups(self, args):
        discriminator = [(f"body.{name}", p) for name, p in self.body.named_parameters()] + [(f"head.{name}", p) for name, p in self.head.named_parameters()]
        generator = [(f"generator.{name}", p) for name, p in self.generator.named_parameters()]
        return {"discriminator": (discriminator, args.lr_d, args.beta1_d, args.beta2), "generator": (generator, args.lr_g, args.beta1_g, args.beta2)}

    def one_hot(self, labels):
        return F.one_hot(labels.long(), self.classes).float()

    def generate(self, z, labels=None):
        """G(z), or G(z, y) with the class's one-hot vector appended: [B, noise] -> [B, ...example]."""
        return self.generator(torch.cat([z, self.one_hot(labels)], 1) if self.classes else z)

    def with_class(self, x, labels):
        """An example with its class appended: a point [B, 2] -> [B, 2 + C]; an image [B, H, W, c] -> [B, H, W, c + C]."""
        if not self.classes:
            return x
        codes = self.one_hot(labels)
        if x.dim() == 2:
            return torch.cat([x, codes], 1)
        return torch.cat([x, codes[:, None, None, :].expand(-1, x.shape[1], x.shape[2], -1)], 3)

    def discriminate(self, x, labels=None):
        """D's logits [B] and its last hidden features [B, F]."""
        features = self.body(self.with_class(x, labels))
        head_input = features
        if self.minibatch_std:
            # s = mean_f sqrt(Var_batch[features_f] + 1e-8): one number for the batch, appended to each example
            s = torch.sqrt(features.var(0, unbiased=False) + 1e-8).mean()
            head_input = torch.cat([features, s.expand(features.shape[0], 1)], 1)
        return self.head(head_input).reshape(-1), features

    def input_gradient(self, x, labels):
        """grad_x sum_b D(x_b), kept in the graph: the penalties differentiate it again."""
        x = x.detach().requires_grad_(True)
        (gradient,) = torch.autograd.grad(self.discriminate(x, labels)[0].sum(), x, create_graph=True)
        return gradient.flatten(1)

    def discriminator_loss(self, real, fake, labels, between):
        on_real, on_fake = self.discriminate(real, labels)[0], self.discriminate(fake, labels)[0]
        if self.loss == "least-squares":
            # L_D = 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2] (Mao et al. 2017, https://arxiv.org/abs/1611.04076)
            loss = 0.5 * ((on_real - 1).square().mean() + on_fake.square().mean())
        elif self.loss == "wasserstein":
            # L_D = E[D(G(z))] - E[D(x)] + lambda E[(||grad D(x^)|| - 1)^2], x^ = e x + (1 - e) G(z)
            # (Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028); the 1e-12 keeps the root's gradient finite
            x_hat = real * between + fake * (1 - between)
            norm = torch.sqrt(self.input_gradient(x_hat, labels).square().sum(1) + 1e-12)
            loss = on_fake.mean() - on_real.mean() + self.gp * (norm - 1).square().mean()
        else:
            # L_D = -E[log D(x)] - E[log(1 - D(G(z)))], D = sigmoid(l): -log sigmoid(l) = softplus(-l)
            loss = F.softplus(-on_real).mean() + F.softplus(on_fake).mean()
        if self.r1 > 0:
            # R1: (gamma / 2) E[||grad_x D(x)||^2] on real data (Mescheder et al. 2018, https://arxiv.org/abs/1801.04406)
            loss = loss + self.r1 / 2 * self.input_gradient(real, labels).square().sum(1).mean()
        return loss, on_real, on_fake

    def generator_loss(self, logits, features, real_features):
        if self.loss == "minimax":
            loss = -F.softplus(logits).mean()  # G minimizes E[log(1 - D(G(z)))]: it saturates
        elif self.loss == "non-saturating":
            loss = F.softplus(-logits).mean()  # G maximizes E[log D(G(z))]
        elif self.loss == "least-squares":
            loss = 0.5 * (logits - 1).square().mean()
        else:
            loss = -logits.mean()  # Wasserstein: -E[D(G(z))]
        if real_features is not None:
            # feature matching: ||E[f(x)] - E[f(G(z))]||^2, the real side held fixed (Salimans et al. 2016)
            loss = loss + self.feature_matching * (real_features.mean(0) - features.mean(0)).square().sum()
        return loss

    def score(self, logits):
        """D's verdict as a probability of being real (the raw score for Wasserstein and least squares)."""
        return logits if self.loss in ("wasserstein", "least-squares") else torch.sigmoid(logits)

    def step_inputs(self, data, n, generator):
        """Real examples, their classes and noise for k discriminator steps and one generator step."""
        inputs = {}
        for k in range(self.d_steps):
            inputs[f"real_{k}"], inputs[f"labels_{k}"] = data.draw_labelled(n, generator)
            inputs[f"z_{k}"] = torch.randn((n, self.noise_size), generator=generator)
            # e ~ U(0, 1), one per example: [B, 1] for points, [B, 1, 1, 1] for images
            inputs[f"between_{k}"] = torch.rand((n,) + (1,) * len(DATASET["shape"]), generator=generator)
        if self.feature_matching > 0:
            inputs["real_g"], inputs["labels_g"] = data.draw_labelled(n, generator)
        inputs["z_g"] = torch.randn((n, self.noise_size), generator=generator)
        inputs["fake_labels"] = torch.randint(max(self.classes, 1), (n,), generator=generator)
        return inputs

    def train_step(self, inputs, optimizers, reduce_gradients):
        """k discriminator steps, then one generator step (the paper's Algorithm 1)."""
        d_optimizer, g_optimizer = optimizers["discriminator"], optimizers["generator"]
        for k in range(self.d_steps):
            real, labels = inputs[f"real_{k}"], inputs[f"labels_{k}"] if self.classes else None
            with torch.no_grad():  # the fakes are D's data here (of the real batch's classes): no gradient to G
                fake = self.generate(inputs[f"z_{k}"], labels)
            d_loss, on_real, on_fake = self.discriminator_loss(real, fake, labels, inputs[f"between_{k}"])
            d_optimizer.zero_grad()
            d_loss.backward()
            reduce_gradients(d_optimizer)
            d_optimizer.step()
        real_features = None
        if self.feature_matching > 0:
            with torch.no_grad():
                real_features = self.discriminate(inputs["real_g"], inputs["labels_g"] if self.classes else None)[1]
        fake_labels = inputs["fake_labels"] if self.classes else None
        logits, features = self.discriminate(self.generate(inputs["z_g"], fake_labels), fake_labels)
        g_loss = self.generator_loss(logits, features, real_features)
        g_optimizer.zero_grad()
        g_loss.backward()
        reduce_gradients(g_optimizer)
        g_optimizer.step()
        d_optimizer.zero_grad()  # G's loss left gradients on D, which its next step must not see
        return {"d_loss": d_loss.detach(), "d_real": self.score(on_real).mean().detach(), "d_fake": self.score(on_fake).mean().detach(), "g_loss": g_loss.detach()}

    @torch.no_grad()
    def sample(self, n, generator):
        """G(z), z ~ N(0, I), batch normalization on its moving statistics; classes in turn when conditional."""
        self.generator.eval()
        device = next(self.parameters()).device
        z = torch.randn((n, self.noise_size), generator=generator).to(device)
        x = self.generate(z, (torch.arange(n) % self.classes).to(device) if self.classes else None)
        self.generator.train()
        return x
`;

export const GAN_EXPORT: FamilyExport = {
  models: ['gan'],
  layerKeys: ['hidden', 'channels', 'noise', 'conditional', 'mbstd'],
  optimizers(run): OptimizerPlan[] {
    const { generator, discriminator } = networks(run);
    return [
      { id: 'discriminator', statePrefix: 'discriminator/', params: discriminator, keys: { lr: 'lr_d', beta1: 'beta1_d' } },
      { id: 'generator', statePrefix: 'generator/', params: generator, keys: { lr: 'lr_g', beta1: 'beta1_g' } },
    ];
  },
  buffers(run): BufferPlan[] {
    // batch normalization's moving mean and variance, layer by layer (nonTrainablePart's order)
    return networks(run).statistics.flatMap((layer, i) => [
      { key: `statistics/${2 * i}`, name: `${layer}.running_mean` },
      { key: `statistics/${2 * i + 1}`, name: `${layer}.running_var` },
    ]);
  },
  modelSection: () => MODEL,
};
