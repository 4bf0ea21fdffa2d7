/**
 * The restricted Boltzmann machine's export (src/core/models/energy/: rbm.ts, rbm-energy.ts,
 * rbm-state.ts, ais.ts): the energy and free energy, block Gibbs sampling, CD-k and
 * persistent CD (the persistent chains are part of the exported state), the gradient written
 * out as data minus model statistics, the visible biases set from the data's log-odds at the
 * first step (whether that happened is exported too), Adam, and the held-out figures:
 * reconstruction error, pseudo-likelihood, free energy, and with --ais the log-likelihood by
 * annealed importance sampling (./rbm-ais.ts) with the app's schedule and base-rate model.
 */
import type { FamilyExport } from './families';
import { RBM_AIS } from './rbm-ais';
import type { BufferPlan, NumberPlan, OptimizerPlan } from './torch-layout';

const MODEL = String.raw`
# The app's fixed choices (src/core/models/energy/rbm.ts): the held-out images' coins, how many images each figure reads
EVAL_SEED = 7
HELD_OUT_SIZE = 1000
AIS_TEST_SIZE = 10000
AIS_SEED = 31337
BASE_RATE_IMAGES = 10000
BIAS_IMAGES = 1000
# Hinton's guide (section 8): weights from N(0, 0.01^2), hidden biases -4 (sparse at first)
INITIAL_WEIGHT_SCALE = 0.01
INITIAL_HIDDEN_BIAS = -4.0
# Gibbs steps from random pixels to a sample (the app's default; a setting of its views)
SAMPLE_STEPS = 200

MODEL_FLAGS = [(("--ais",), {"action": "store_true", "help": "also estimate the held-out log-likelihood by annealed importance sampling (slow: ais_runs chains through ais_temperatures temperatures, and -F(v) of 10,000 test images)"})]


def base_rate_biases(mean_image, images):
    """b_i = log(p_i / (1 - p_i)), p_i the share of images with pixel i on, smoothed: (count + 1/2) / (n + 1)."""
    p = (mean_image * images + 0.5) / (images + 1)
    return (p / (1 - p)).log()


class Model(nn.Module):
    """Binary pixels v (D) and binary hidden units h (H), with the energy and the joint distribution
        E(v, h) = -v'Wh - b'v - c'h,   p(v, h) = exp(-E(v, h)) / Z.
    No unit is wired to its own layer, so given one layer the other's units are independent:
        p(h_j = 1 | v) = sigmoid(c_j + (v'W)_j),   p(v_i = 1 | h) = sigmoid(b_i + (Wh)_i),
    and summing h out leaves p(v) = exp(-F(v)) / Z with F(v) = -b'v - sum_j softplus(c_j + (v'W)_j).
    Trained by contrastive divergence (Hinton 2002) or persistent CD (Tieleman 2008): no loss is differentiated,
    the gradient is written out as data minus model statistics. The persistent chains, and whether the visible
    biases were set from the data, are saved with the weights."""

    def __init__(self, args):
        super().__init__()
        size = math.prod(DATASET["shape"])
        self.weights = nn.Parameter(torch.randn(size, args.hidden_units) * INITIAL_WEIGHT_SCALE)  # W: [D, H], column j hidden unit j's filter
        self.visible_bias = nn.Parameter(torch.zeros(size))  # b: [D]
        self.hidden_bias = nn.Parameter(torch.full((args.hidden_units,), INITIAL_HIDDEN_BIAS))  # c: [H]
        self.encoding = "binary-threshold" if args.data == "threshold" else "binary-sampled"
        self.k, self.weight_decay, self.persistent_cd = args.k, args.weight_decay, args.training == "pcd"
        self.ais, self.ais_runs, self.ais_temperatures = getattr(args, "ais", False), args.ais_runs, args.ais_temperatures
        # 1 once the visible biases were set from the data (the app's first step does it)
        self.register_buffer("biases_from_data", torch.zeros(()))
        if self.persistent_cd:
            # PCD's chains start from random pixels: [chains, D]
            self.register_buffer("persistent", (torch.rand(args.chains, size) < 0.5).float())
        # every process walks all the persistent chains alike, and sets the biases from the same images
        self.unsharded = ("bias_images", "chain_hidden", "chain_visible") if self.persistent_cd else ("bias_images",)

    def optimizer_groups(self, args):
        return {"rbm": (self.named_parameters(), args.lr, args.beta1, args.beta2)}

    def hidden_input(self, v):
        """c + v'W: [B, D] -> [B, H]. Free energy, p(h | v) and the pseudo-likelihood all start from it."""
        return v @ self.weights + self.hidden_bias

    def visible_probabilities(self, h):
        """p(v = 1 | h) = sigmoid(b + Wh): [B, H] -> [B, D]."""
        return torch.sigmoid(h @ self.weights.T + self.visible_bias)

    def free_energy(self, v, hidden_input=None):
        """F(v) = -b'v - sum_j softplus(c_j + (v'W)_j): [B, D] -> [B]."""
        hidden_input = self.hidden_input(v) if hidden_input is None else hidden_input
        return -((v * self.visible_bias).sum(1) + F.softplus(hidden_input).sum(1))

    def gibbs_step(self, v, hidden_uniforms, visible_uniforms, hidden_mean=None):
        """One step of block Gibbs sampling, h ~ p(h | v) then v ~ p(v | h), each unit on where its uniform is below
        its probability (as the app draws: [u < p]). Returns h, p(v = 1 | h) and the next v."""
        hidden_mean = torch.sigmoid(self.hidden_input(v)) if hidden_mean is None else hidden_mean
        h = (hidden_uniforms < hidden_mean).float()
        visible_mean = self.visible_probabilities(h)
        return h, visible_mean, (visible_uniforms < visible_mean).float()

    def gibbs_chain(self, v, hidden_uniforms, visible_uniforms):
        """Gibbs steps from v, one per uniforms[:, i] ([B, steps, H] and [B, steps, D]): the chain's last state."""
        for i in range(hidden_uniforms.shape[1]):
            _, _, v = self.gibbs_step(v, hidden_uniforms[:, i], visible_uniforms[:, i])
        return v

    def pseudo_likelihood(self, v, bits, hidden_input=None):
        """The stochastic log pseudo-likelihood of scikit-learn's BernoulliRBM: one bit i per image flipped (v~),
            D log p(v_i | v_-i) = D log sigmoid(F(v~) - F(v)).   v: [B, D], bits: [B] -> [B]"""
        hidden_input = self.hidden_input(v) if hidden_input is None else hidden_input
        size = v.shape[1]
        one_hot = F.one_hot(bits, size).float()
        change = 1 - 2 * (one_hot * v).sum(1, keepdim=True)  # flipping bit i moves it by 1 - 2 v_i: [B, 1]
        flipped = v + one_hot * change
        # the hidden input of v~ without another product with W: c + v'W + d W_i
        flipped_input = hidden_input + self.weights[bits] * change
        return size * F.logsigmoid(self.free_energy(flipped, flipped_input) - self.free_energy(v, hidden_input))

    def likelihood_gradients(self, data, model, data_hidden):
        """d log p(v) / dW_ij = <v_i h_j>_data - <v_i h_j>_model (and <v_i>, <h_j> for b and c), h_j replaced by
        p(h_j = 1 | v) on both sides (Hinton's guide, 3.1-3.3); returned with the sign flipped, for Adam to descend.
        data: [B, D], model: [M, D] (the end of the CD chains, or the persistent chains)."""
        model_hidden = torch.sigmoid(self.hidden_input(model))
        data_stats = data.T @ data_hidden / len(data)  # <v h'>: [D, B] x [B, H] / B -> [D, H]
        model_stats = model.T @ model_hidden / len(model)
        return {
            "weights": model_stats - data_stats,
            "visible_bias": model.mean(0) - data.mean(0),
            "hidden_bias": model_hidden.mean(0) - data_hidden.mean(0),
        }

    def step_inputs(self, data, n, generator):
        """One step's data and randomness, drawn here: the binary batch, the Gibbs steps' uniforms (the data's
        first step, then the negative chains': CD's k - 1 more from it, or PCD's k on the persistent chains), the
        pseudo-likelihood's bits, and before the first step the images the visible biases are set from."""
        x = data.draw(n, generator, self.encoding)
        size, hidden = self.weights.shape
        chains, steps = (len(self.persistent), self.k) if self.persistent_cd else (n, self.k - 1)
        inputs = {
            "x": x,
            "hidden_uniforms": torch.rand((n, hidden), generator=generator),
            "visible_uniforms": torch.rand((n, size), generator=generator),
            "pl_bits": torch.randint(size, (n,), generator=generator),
            "chain_hidden": torch.rand((chains, steps, hidden), generator=generator),
            "chain_visible": torch.rand((chains, steps, size), generator=generator),
        }
        if not self.biases_from_data:
            inputs["bias_images"] = data.draw(BIAS_IMAGES, generator, self.encoding)
        return inputs

    @torch.no_grad()
    def set_visible_biases(self, images):
        """Hinton's guide (section 8): visible biases start at log(p_i / (1 - p_i)), p_i the share of images with
        pixel i on; from 0, Adam would take thousands of steps to switch the border pixels off."""
        v = images.reshape(len(images), -1)
        self.visible_bias.copy_(base_rate_biases(v.mean(0), len(v)))
        self.biases_from_data.fill_(1)

    @torch.no_grad()
    def train_step(self, inputs, optimizers, reduce_gradients):
        optimizer = optimizers["rbm"]
        if not self.biases_from_data:
            self.set_visible_biases(inputs["bias_images"])
        v0 = inputs["x"].reshape(len(inputs["x"]), -1)  # [B, H, W, C] -> [B, D]
        data_input = self.hidden_input(v0)
        data_hidden = torch.sigmoid(data_input)
        _, first_mean, first = self.gibbs_step(v0, inputs["hidden_uniforms"], inputs["visible_uniforms"], data_hidden)
        # the terms, measured before the update
        terms = {
            "reconstruction_error": (v0 - first_mean).square().sum(1).mean(),
            "free_energy": self.free_energy(v0, data_input).mean(),
            "pseudo_likelihood": self.pseudo_likelihood(v0, inputs["pl_bits"].long(), data_input).mean(),
        }
        # the model's side: CD-k continues the chain started at the data, PCD-k the persistent chains
        if self.persistent_cd:
            negative = self.gibbs_chain(self.persistent, inputs["chain_hidden"], inputs["chain_visible"])
            self.persistent.copy_(negative)
        else:
            negative = self.gibbs_chain(first, inputs["chain_hidden"], inputs["chain_visible"])
        gradients = self.likelihood_gradients(v0, negative, data_hidden)
        # weight decay: the gradient of (lambda / 2) ||W||^2 added to W's
        gradients["weights"] = gradients["weights"] + self.weights * self.weight_decay
        optimizer.zero_grad()
        for name, parameter in optimizer.parameters.items():
            parameter.grad = gradients[name]
        reduce_gradients(optimizer)
        optimizer.step()
        return terms

    held_out_size = HELD_OUT_SIZE

    def test_images(self, data, index, device):
        """Test images, binary as the app reads them: each image's coins fixed by EVAL_SEED. [n, D]"""
        return data.take("test", index, self.encoding, seed=EVAL_SEED).reshape(len(index), -1).to(device)

    @torch.no_grad()
    def held_out(self, data, index, device):
        v = self.test_images(data, index, device)
        generator = torch.Generator().manual_seed(EVAL_SEED + index[0])
        (n, size), hidden = v.shape, self.weights.shape[1]
        uniforms = [torch.rand(shape, generator=generator).to(device) for shape in ((n, hidden), (n, size))]
        bits = torch.randint(size, (n,), generator=generator).to(device)
        data_input = self.hidden_input(v)
        _, reconstruction, _ = self.gibbs_step(v, *uniforms)
        return {
            "free_energy": self.free_energy(v, data_input),
            "reconstruction_error": (v - reconstruction).square().sum(1),
            "pseudo_likelihood": self.pseudo_likelihood(v, bits, data_input),
        }

    own_names = ("ais_log_likelihood", "ais_log_z")  # the app's runner writes them under their own names

    def base_rate(self, data, device):
        """The base-rate model's visible biases, from the first 10,000 training images read as the app reads them."""
        index = list(range(min(BASE_RATE_IMAGES, data.count("train"))))
        v = data.take("train", index, self.encoding, seed=EVAL_SEED).reshape(len(index), -1)
        return base_rate_biases(v.mean(0), len(index)).to(device)

    @torch.no_grad()
    def held_out_extra(self, data, device):
        """With --ais: log p(v) = -F(v) - log Z, averaged over the test set, log Z by AIS."""
        if not self.ais:
            return {}
        generator = torch.Generator().manual_seed(AIS_SEED)
        uniform = lambda shape: torch.rand(shape, generator=generator).to(device)
        log_z, _ = ais_log_partition(self, self.base_rate(data, device), self.ais_runs, self.ais_temperatures, uniform)
        count, total = min(AIS_TEST_SIZE, data.count("test")), 0.0
        for start in range(0, count, 1000):
            total += self.free_energy(self.test_images(data, list(range(start, min(start + 1000, count))), device)).double().sum().item()
        return {"ais_log_likelihood": -total / count - log_z, "ais_log_z": log_z}

    @torch.no_grad()
    def sample(self, n, generator):
        """n Gibbs chains of SAMPLE_STEPS steps from pixels drawn by the visible biases alone; their last p(v | h)."""
        device = self.weights.device
        (size, hidden) = self.weights.shape
        uniform = lambda shape: torch.rand(shape, generator=generator).to(device)
        v = (uniform((n, size)) < torch.sigmoid(self.visible_bias)).float()
        for _ in range(SAMPLE_STEPS):
            _, mean, v = self.gibbs_step(v, uniform((n, hidden)), uniform((n, size)))
        return mean.reshape(n, *DATASET["shape"])
`;

export const RBM_EXPORT: FamilyExport = {
  models: ['rbm'],
  layerKeys: ['hidden_units', 'training', 'chains'],
  optimizers(): OptimizerPlan[] {
    // the model's state is { rbm: its Adam over W, b, c; noise: its random source; started: the biases' flag; chains: PCD's }
    return [{ id: 'rbm', statePrefix: 'rbm/', params: [{ name: 'weights', layout: 'as-is' }, { name: 'visible_bias', layout: 'as-is' }, { name: 'hidden_bias', layout: 'as-is' }] }];
  },
  buffers(run): BufferPlan[] {
    return run.values.training === 'pcd' ? [{ key: 'chains/0', name: 'persistent' }] : [];
  },
  numbers(): NumberPlan[] {
    return [{ key: 'started/flag', name: 'biases_from_data' }];
  },
  modelSection: () => `${MODEL}\n${RBM_AIS}`,
};
