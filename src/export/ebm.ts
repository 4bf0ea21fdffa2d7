/**
 * The deep energy-based model's export (src/core/models/energy/: ebm.ts, langevin.ts,
 * replay-buffer.ts): the energy network (dense with Swish on points, stride-2 convolutions
 * with Swish on images), Langevin dynamics with its clipping and bounds, the replay buffer
 * (in the exported state: it is part of the checkpoint), the loss with alpha, Adam with the
 * run's beta1, and the held-out grid KL on points.
 */
import type { PointsDataSpec } from '../core/datasets/catalog';
import type { ExportRun, FamilyExport } from './families';
import { convEncoderModules, denseEncoderModules, sequentialParams } from './stacks';
import type { BufferPlan, OptimizerPlan, ParamPlan } from './torch-layout';

const list = (value: unknown) => value as readonly number[];

/** E's variables, as networks.ts creates them and the Python builders name them. */
function params(run: ExportRun): ParamPlan[] {
  return run.data.kind === 'image' ? sequentialParams('network', convEncoderModules(list(run.values.channels), 1)) : sequentialParams('network', denseEncoderModules(list(run.values.hidden)));
}

const MODEL = String.raw`
# Fresh chains walk this many times the training chains' steps (they start from noise); the grid of the held-out KL
SAMPLE_STEPS_FACTOR = 3
FIELD_CELLS = 48


class Model(nn.Module):
    """A network E(x) gives each example an energy; p(x) = exp(-E(x)) / Z (Du and Mordatch 2019). The gradient of
    the log-likelihood is -grad E(x+) on data + E_{x- ~ p}[grad E(x-)], so a step pushes energy down on data and
    up on samples x- of the model, drawn by short Langevin chains that start from a replay buffer:
        L = E[E(x+)] - E[E(x-)] + alpha (E[E(x+)^2] + E[E(x-)^2])
    The buffer (size x example) is saved with the weights, so chains go on where the browser's stopped."""

    def __init__(self, args):
        super().__init__()
        self.images = DATASET["kind"] == "image"
        self.shape = DATASET["shape"]
        if self.images:
            layers = conv_encoder(self.shape, args.channels, 1, "swish")  # [B, H, W, C] -> [B, 1]
        else:
            layers = dense_encoder(self.shape, args.hidden, 1, "swish")  # [B, 2] -> [B, 1]
        self.network = nn.Sequential(*layers)
        self.steps, self.step_size, self.noise_std, self.clip = args.langevin_steps, args.step_size, args.langevin_noise, args.grad_clip
        self.restart, self.alpha, self.data_noise = args.restart, args.alpha, getattr(args, "data_noise", 0.0)
        # where fresh chains start and chains stay: pixels in [0, 1], points in the frame of the plane
        self.low, self.high = RANGE
        self.register_buffer("replay", self.fresh(args.buffer))

    def optimizer_groups(self, args):
        # Adam with the run's beta1 (0 on images, as Du and Mordatch: momentum would carry the energy past a moving target)
        return {"energy": (self.network.named_parameters(prefix="network"), args.lr, args.beta1, getattr(args, "beta2", 0.999))}

    def energy(self, x):
        """E(x): [B, ...example] -> [B]."""
        return self.network(x).reshape(-1)

    def fresh(self, n, generator=None):
        """n starting points, uniform over the data's range: [n, ...example]."""
        return torch.rand((n, *self.shape), generator=generator) * (self.high - self.low) + self.low

    def langevin(self, x, steps, noise_at, clamp=None):
        """steps of Langevin dynamics (Welling and Teh 2011), short and loose as deep EBMs run it:
            x <- bound(x - step_size * clip(grad E(x)) + noise_k)
        noise_at(k) the noise of step k (N(0, langevin_noise^2), [n, ...example]); each gradient component clipped to
        [-grad_clip, grad_clip] (0: none); values kept in the data's range. clamp: (values, keep), held where keep is 1."""
        x = x.detach()
        for k in range(steps):
            x.requires_grad_(True)
            with torch.enable_grad():
                # the energies of a batch are independent: the gradient of their sum is each example's own
                (gradient,) = torch.autograd.grad(self.energy(x).sum(), x)
            if self.clip > 0:
                gradient = gradient.clamp(-self.clip, self.clip)
            x = (x.detach() - gradient * self.step_size + noise_at(k)).clamp(self.low, self.high)
            if clamp is not None:
                values, keep = clamp
                x = keep * values + (1 - keep) * x
        return x.detach()

    def step_inputs(self, data, n, generator):
        """One step's randomness, drawn here for the whole batch: the data and its blur, the buffer's rows, which
        restart from noise and where, and the Langevin noise of every step ([n, steps, ...example])."""
        x = data.draw(n, generator)
        size = len(self.replay)
        return {
            "x": x,
            "blur": torch.randn(x.shape, generator=generator) * self.data_noise,  # x+ = x + N(0, data_noise^2)
            "rows": torch.randperm(size, generator=generator)[: min(n, size)],  # distinct rows
            "restart": (torch.rand(n, generator=generator) < self.restart).float(),
            "fresh": self.fresh(n, generator),
            "noise": torch.randn((n, self.steps, *self.shape), generator=generator) * self.noise_std,
        }

    def store(self, rows, ends):
        """The chains' ends go back to the rows they started from; under torchrun every process stores every
        process's chains, so the buffers stay the same."""
        if dist.is_available() and dist.is_initialized():
            all_rows = [torch.empty_like(rows) for _ in range(dist.get_world_size())]
            all_ends = [torch.empty_like(ends) for _ in range(dist.get_world_size())]
            dist.all_gather(all_rows, rows)
            dist.all_gather(all_ends, ends)
            rows, ends = torch.cat(all_rows), torch.cat(all_ends)
        self.replay[rows] = ends

    def train_step(self, inputs, optimizers, reduce_gradients):
        optimizer = optimizers["energy"]
        # x+ : data, blurred by N(0, data_noise^2)
        real = inputs["x"] + inputs["blur"]
        # x- : chains from the buffer (a share restarted from noise), walked down the current energy
        rows = inputs["rows"].long()
        restart = inputs["restart"].reshape(-1, *[1] * len(self.shape)) > 0.5  # [n] -> [n, 1, ...]
        start = torch.where(restart, inputs["fresh"], self.replay[rows])
        samples = self.langevin(start, self.steps, lambda k: inputs["noise"][:, k])
        self.store(rows, samples)
        on_data, on_samples = self.energy(real), self.energy(samples)
        # L = E[E(x+)] - E[E(x-)] + alpha (E[E(x+)^2] + E[E(x-)^2])
        loss = on_data.mean() - on_samples.mean() + self.alpha * (on_data.square().mean() + on_samples.square().mean())
        optimizer.zero_grad()
        loss.backward()
        reduce_gradients(optimizer)
        optimizer.step()
        return {"loss": loss.detach(), "energy_data": on_data.mean().detach(), "energy_samples": on_samples.mean().detach()}

    def sampling_temperature(self):
        """The T whose density exp(-E/T) the walk leaves unchanged (small steps, no clipping): T = sigma^2 / (2 step)."""
        return max(self.noise_std**2 / (2 * self.step_size), 1e-6)

    own_names = ("grid_kl",)  # the summary line names it as the app's runner does

    @torch.no_grad()
    def held_out_extra(self, data, device):
        """Points: KL(data || model) on a 48 x 48 grid over the frame, as the app computes it: the model's
        exp(-E/T)/Z over the cells, the data's density from its test points by a Gaussian kernel as wide as a
        cell (or as the data's noise, if wider)."""
        if self.images:
            return {}
        low, high, cells = self.low, self.high, FIELD_CELLS
        centres = (torch.arange(cells, dtype=torch.float64) + 0.5) * (high - low) / cells
        # row 0 at the top (y = high), as the page draws the field: [cells * cells, 2]
        ys, xs = torch.meshgrid(high - centres, low + centres, indexing="ij")
        grid = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1)
        energies = self.energy(grid.float().to(device)).double().cpu()
        # exp(-(E - min E) / T) / Z
        model_density = torch.exp(-(energies - energies.min()) / self.sampling_temperature())
        model_density /= model_density.sum()
        bandwidth = max(DATASET["spread"], (high - low) / cells)
        squared = (data.test.double()[None, :, :] - grid[:, None, :]).square().sum(-1)  # [cells^2, test points]
        data_density = torch.exp(-squared / (2 * bandwidth**2)).sum(1)
        data_density /= data_density.sum()
        # KL(p || q) = sum p log(p / q), q floored so that an empty model cell costs a lot but not infinity
        kept = data_density > 0
        kl = (data_density[kept] * torch.log(data_density[kept] / model_density[kept].clamp(min=1e-12))).sum()
        return {"grid_kl": kl.item()}

    def sample(self, n, generator):
        """n fresh chains from uniform noise, SAMPLE_STEPS_FACTOR times as long as training's."""
        device = next(self.parameters()).device
        start = self.fresh(n, generator).to(device)
        noise = lambda k: (torch.randn(start.shape, generator=generator) * self.noise_std).to(device)
        return self.langevin(start, SAMPLE_STEPS_FACTOR * self.steps, noise)
`;

export const EBM_EXPORT: FamilyExport = {
  models: ['ebm'],
  layerKeys: ['hidden', 'channels', 'buffer'],
  optimizers(run): OptimizerPlan[] {
    // the model's state is { energy: its Adam, buffer: the replay buffer, noise: its random source }
    return [{ id: 'energy', statePrefix: 'energy/', params: params(run), keys: { lr: 'lr', beta1: 'beta1' } }];
  },
  buffers(): BufferPlan[] {
    return [{ key: 'buffer/examples', name: 'replay' }];
  },
  modelSection(run) {
    const range = run.data.kind === 'image' ? [0, 1] : (run.data as PointsDataSpec).extent;
    return `\n# where chains start and stay: pixels in [0, 1], or the frame of the plane\nRANGE = (${range[0]}, ${range[1]})\n${MODEL}`;
  },
};
