/**
 * The training half of every train.py: Adam as TF.js computes it, the exported weights in
 * and out, the command-line flags, and the loop, plain or under torchrun with
 * DistributedDataParallel. A family's model section provides `Model` (see families.ts for
 * what it must define); this part never names a model.
 */
import type { ParamSpec, ParamValue } from '../core/params/schema';

export const ADAM = String.raw`
class Adam:
    """Adam (D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization", https://arxiv.org/abs/1412.6980)
    computed as TF.js computes it, so a run resumed here takes the step the browser would have taken:
        m_t = beta1 m_{t-1} + (1 - beta1) g
        v_t = beta2 v_{t-1} + (1 - beta2) g^2
        theta_t = theta_{t-1} - lr * (m_t / (1 - beta1^t)) / (sqrt(v_t / (1 - beta2^t)) + eps)
    with eps = 1e-7 (TF.js's default; torch.optim.Adam's is 1e-8)."""

    def __init__(self, named_parameters, lr, beta1, beta2, eps):
        self.parameters = dict(named_parameters)
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = {name: torch.zeros_like(p) for name, p in self.parameters.items()}
        self.v = {name: torch.zeros_like(p) for name, p in self.parameters.items()}
        self.t = 0

    def zero_grad(self):
        for p in self.parameters.values():
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.t += 1
        correction1, correction2 = 1 - self.beta1**self.t, 1 - self.beta2**self.t
        for name, p in self.parameters.items():
            g, m, v = p.grad, self.m[name], self.v[name]
            m.mul_(self.beta1).add_(g * (1 - self.beta1))
            v.mul_(self.beta2).add_(g.square() * (1 - self.beta2))
            p.add_(-self.lr * (m / correction1) / ((v / correction2).sqrt() + self.eps))
`;

export const STATE_IO = String.raw`
def load_state(weights_path, model, optimizers):
    """The browser's weights and Adam state (weights.npz and manifest.json beside it); returns the step they were saved at."""
    arrays = np.load(weights_path)
    with open(os.path.join(os.path.dirname(weights_path) or ".", "manifest.json")) as file:
        manifest = json.load(file)
    try:
        # parameters, and buffers such as batch normalization's moving statistics
        model.load_state_dict({name: torch.from_numpy(arrays[name]) for name in model.state_dict()})
    except (KeyError, RuntimeError) as error:
        raise SystemExit(f"{weights_path} does not fit this model ({error}); settings that change the layers need --fresh") from error
    for name, optimizer in optimizers.items():
        saved = manifest["optimizers"][name]
        optimizer.t = saved["step"]
        for parameter in optimizer.parameters:
            key = f"adam.{name}.m.{parameter}"
            if key in arrays:  # none before the first update
                optimizer.m[parameter].copy_(torch.from_numpy(arrays[key]))
                optimizer.v[parameter].copy_(torch.from_numpy(arrays[f"adam.{name}.v.{parameter}"]))
    return manifest["step"]


def save_state(out_dir, model, optimizers, step, args):
    """Weights and Adam state in the format they came in: numpy arrays by PyTorch name, and a manifest."""
    arrays = {name: value.detach().cpu().numpy() for name, value in model.state_dict().items()}
    for name, optimizer in optimizers.items():
        for parameter in optimizer.parameters:
            arrays[f"adam.{name}.m.{parameter}"] = optimizer.m[parameter].cpu().numpy()
            arrays[f"adam.{name}.v.{parameter}"] = optimizer.v[parameter].cpu().numpy()
    np.savez(os.path.join(out_dir, "weights.npz"), **arrays)
    manifest = {
        "format": "generative-playground-pytorch",
        "version": 1,
        "model": RUN["model"],
        "dataset": RUN["dataset"],
        "step": step,
        "link": RUN["link"],
        "settings": {key: value for key, value in vars(args).items() if key in RUN["values"]},
        "optimizers": {name: {"step": o.t, "lr": o.lr, "beta1": o.beta1, "beta2": o.beta2, "epsilon": o.eps, "parameters": list(o.parameters)} for name, o in optimizers.items()},
        "arrays": {name: list(array.shape) for name, array in arrays.items()},
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as file:
        json.dump(manifest, file, indent=1)
`;

export const LOOP = String.raw`
# Untimed steps before --time's timed ones: the first steps allocate and warm caches.
TIMING_WARMUP = 3


def rounded(value):
    """Six significant digits, as the app's runner writes them (a count stays a whole number)."""
    return value if isinstance(value, int) else float(f"{value:.6g}")


@torch.no_grad()
def held_out_means(model, data, device, size=1000, chunk=250):
    """The mean of the model's held-out figures over the first test examples (as many as the app
    uses for the model: its held_out_size, if it has one), chunk by chunk."""
    if not hasattr(model, "held_out") and not hasattr(model, "held_out_extra"):
        return {}
    model.eval()
    count = min(getattr(model, "held_out_size", size), data.count("test"))
    sums = {}
    for start in range(0, count, chunk) if hasattr(model, "held_out") else []:
        index = list(range(start, min(start + chunk, count)))
        for name, values in model.held_out(data, index, device).items():
            sums[name] = sums.get(name, 0.0) + values.sum().item()
    means = {name: total / count for name, total in sums.items()}
    if hasattr(model, "held_out_extra"):  # figures on their own subset (an importance-weighted bound)
        means.update(model.held_out_extra(data, device))
    model.train()
    return means


def leave_process_group():
    """The end of a torchrun process: every process leaves together, then exits at once.

    The barrier: a process that exits while process 0 still evaluates and saves can make gloo fail the
    other's shutdown. The immediate exit: in torch 1.13 the gradient reducer of DistributedDataParallel,
    freed as the interpreter ends, destroys its gloo process group, which joins gloo's worker threads while
    holding the GIL that one of them may need to free a tensor (pytorch/pytorch#56297): about one
    two-process run in fifteen hung there, its results all written. Files are closed by now."""
    dist.barrier()
    dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main(argv=None):
    args = parse_args(argv)
    # torchrun sets WORLD_SIZE, RANK and LOCAL_RANK: one process per GPU (or per CPU share)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    if distributed:
        dist.init_process_group("nccl" if use_cuda else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if args.batch % world != 0:
        raise SystemExit(f"--batch {args.batch} does not split evenly over {world} processes")
    local = args.batch // world

    torch.manual_seed(args.seed)  # the fresh weights, the same in every process
    data = DATA(args.data_dir)
    model = Model(args)
    glorot_init(model)
    model.to(device)
    optimizers = {name: Adam(parameters, lr, beta1, beta2, args.adam_epsilon) for name, (parameters, lr, beta1, beta2) in model.optimizer_groups(args).items()}
    start = 0 if args.fresh else load_state(args.weights, model, optimizers)
    # gradients are averaged over the processes in backward(): each computes the mean over its shard
    net = DistributedDataParallel(model) if distributed and not hasattr(model, "train_step") else model

    def reduce_gradients(optimizer):
        """What DistributedDataParallel does in backward(), by hand, for models that take their own steps
        (a GAN's gradient penalty differentiates twice, which DistributedDataParallel does not support)."""
        if distributed:
            for p in optimizer.parameters.values():
                if p.grad is not None:
                    dist.all_reduce(p.grad)
                    p.grad /= world

    # Every process draws the whole batch from the same generator and keeps its own shard, so
    # any number of processes trains on the same examples and noise as one process does.
    generator = torch.Generator().manual_seed(args.seed * 1000003 + start)
    shard = slice(rank * local, (rank + 1) * local)

    def draw():
        """The inputs of one step (examples, noise), this process's shard of them."""
        if hasattr(model, "step_inputs"):
            inputs = model.step_inputs(data, args.batch, generator)
        else:
            inputs = {"x": data.draw(args.batch, generator, model.encoding), **model.noise(args.batch, generator)}
        # inputs every process takes whole (a model's unsharded: chains that every process walks alike)
        whole = getattr(model, "unsharded", ())
        return {name: (value if name in whole else value[shard]).to(device) for name, value in inputs.items()}

    def train_one():
        """One training step: draw its inputs, update the weights; its terms."""
        inputs = draw()
        if hasattr(model, "train_step"):
            return model.train_step(inputs, optimizers, reduce_gradients)
        loss, terms = net(inputs.pop("x"), inputs)
        for optimizer in optimizers.values():
            optimizer.zero_grad()
        loss.backward()
        for optimizer in optimizers.values():
            optimizer.step()
        return terms

    if args.time:
        # The app's benchmark (npm run bench -- --pytorch): warm-up steps, then timed ones; nothing is evaluated or saved.
        for _ in range(TIMING_WARMUP):
            train_one()
        began = time.time()
        for _ in range(args.time):
            terms = train_one()
        [value.item() for value in terms.values()]  # a GPU's queued work ends here
        seconds = time.time() - began
        if rank == 0:
            print(json.dumps({"timing": True, "model": RUN["model"], "steps": args.time, "batch": args.batch, "ms_per_step": rounded(1000 * seconds / args.time), "threads": torch.get_num_threads(), "device": device.type}), flush=True)
        if distributed:
            leave_process_group()
        return

    if rank == 0:
        os.makedirs(args.out_dir, exist_ok=True)
        log = open(os.path.join(args.out_dir, "logs.jsonl"), "a")

    def emit(line):
        text = json.dumps(line)
        print(text, flush=True)
        log.write(text + "\n")
        log.flush()

    began, sums, count, last_train, last_test = time.time(), {}, 0, {}, {}
    end = start + args.steps
    quality = SampleQuality(data, args.data_dir) if rank == 0 else None
    last_quality = {}
    if args.steps == 0 and rank == 0:  # nothing to train: the held-out figures of the weights as they are
        last_test, last_quality = held_out_means(model, data, device), quality(model)
    for step in range(start + 1, end + 1):
        terms = train_one()
        for name, value in terms.items():
            sums[name] = sums.get(name, 0) + value.detach()
        count += 1
        if step % args.log_every == 0 or step == end:
            names = sorted(sums)
            totals = torch.stack([sums[name] for name in names]).float()
            if distributed:
                dist.all_reduce(totals)  # the sum over processes of their shards' means
            last_train = {name: total / (count * world) for name, total in zip(names, totals.tolist())}
            sums, count = {}, 0
            if rank == 0:
                line = {"step": step, **{name: rounded(value) for name, value in last_train.items()}}
                if step % args.eval_every == 0 or step == end:
                    last_test, last_quality = held_out_means(model, data, device), quality(model)
                    line.update({f"test_{name}": rounded(value) for name, value in {**last_test, **last_quality}.items()})
                emit(line)
        if rank == 0 and (step % args.save_every == 0 or step == end):
            save_state(args.out_dir, model, optimizers, step, args)
    if rank == 0:
        seconds = time.time() - began
        emit({
            "summary": True,
            "model": RUN["model"],
            "dataset": RUN["dataset"],
            "backend": f"pytorch-{device.type}",
            "processes": world,
            "steps": end,
            "batch": args.batch,
            "seconds": rounded(seconds),
            "ms_per_step": rounded(1000 * seconds / max(args.steps, 1)),
            **{f"train_{name}": rounded(value) for name, value in last_train.items()},
            # figures the app's runner writes under their own names (a model's own_names: the EBM's grid_kl)
            **{name if name in getattr(model, "own_names", ()) else f"test_{name}": rounded(value) for name, value in last_test.items()},
            # the sample-quality figures keep their own names, as in the app's runner
            **{name: rounded(value) for name, value in last_quality.items()},
            "config": {key: value for key, value in vars(args).items() if key in RUN["values"]},
        })
        log.close()
    if distributed:
        leave_process_group()


if __name__ == "__main__":
    main()
`;

/** A Python literal for a setting's value. */
function pythonValue(value: ParamValue): string {
  return Array.isArray(value) ? `[${value.join(', ')}]` : JSON.stringify(value);
}

/** One argparse flag for a setting of the run, its value the default. */
function flagLine(spec: ParamSpec, value: ParamValue): string {
  // the page's help, less what only the page does (settings changed live while training)
  const text = spec.help.replace(/\s*Changed live[^.]*\./g, '').replace(/,? changed live\b/g, '');
  const help = JSON.stringify(text.replace(/%/g, '%%'));
  const dest = `dest=${JSON.stringify(spec.key)}`;
  switch (spec.kind) {
    case 'int':
      return `    parser.add_argument("--${spec.key}", ${dest}, type=int, default=${pythonValue(value)}, help=${help})`;
    case 'number':
      return `    parser.add_argument("--${spec.key}", ${dest}, type=float, default=${pythonValue(value)}, help=${help})`;
    case 'choice':
      return `    parser.add_argument("--${spec.key}", ${dest}, default=${pythonValue(value)}, choices=${JSON.stringify(spec.choices.map((c) => c.value))}, help=${help})`;
    case 'int-list':
      return `    parser.add_argument("--${spec.key}", ${dest}, type=int_list, default=${pythonValue(value)}, help=${help} + " (comma-separated)")`;
  }
}

/**
 * parse_args: the run's settings as defaults (each a flag, with the app's help text), then
 * the flags every export has. `layerKeys` name the settings that change the layers.
 */
export function flagsSection(settings: readonly ParamSpec[], values: Readonly<Record<string, ParamValue>>, layerKeys: readonly string[]): string {
  const lines = settings.map((spec) => flagLine(spec, values[spec.key] ?? spec.default));
  const layers = layerKeys.filter((key) => settings.some((spec) => spec.key === key));
  const betas = settings.some((spec) => spec.key === 'beta1')
    ? []
    : [
        '    parser.add_argument("--beta1", type=float, default=0.9, help="Adam\'s beta1 (the app\'s fixed value)")',
        '    parser.add_argument("--beta2", type=float, default=0.999, help="Adam\'s beta2 (the app\'s fixed value)")',
      ];
  return String.raw`
def int_list(text):
    return [int(part) for part in text.split(",")]


def parse_args(argv=None):
    """The browser run's settings are the defaults; every one can be changed here. Settings that
    change the layers (${layers.join(', ') || 'none'}) need --fresh: the saved weights would not fit."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=500, help="training steps to take, on from the saved step")
    parser.add_argument("--log-every", dest="log_every", type=int, default=50, help="one JSON line every N steps, each term averaged over them")
    parser.add_argument("--eval-every", dest="eval_every", type=int, default=500, help="held-out figures every N steps (and at the end)")
    parser.add_argument("--save-every", dest="save_every", type=int, default=1000, help="write out/weights.npz every N steps (and at the end)")
    parser.add_argument("--time", type=int, default=0, help="only time N training steps (after a few warm-up ones) and print ms per step; nothing is saved")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: the GPU if there is one")
    parser.add_argument("--data-dir", dest="data_dir", default=os.path.join(HERE, "data"), help="where the dataset files are")
    parser.add_argument("--weights", default=os.path.join(HERE, "weights.npz"), help="the weights to start from (manifest.json beside them)")
    parser.add_argument("--fresh", action="store_true", help="start from fresh weights (seeded by --seed) instead")
    parser.add_argument("--out-dir", dest="out_dir", default=os.path.join(HERE, "out"), help="where logs.jsonl and the new weights.npz go")
    parser.add_argument("--adam-epsilon", dest="adam_epsilon", type=float, default=1e-7, help="Adam's epsilon (TF.js's)")
${[...betas, ...lines].join('\n')}
    # flags of the model's own that the page has no setting for (the RBM's --ais), if its section defines any
    for names, options in globals().get("MODEL_FLAGS", ()):
        parser.add_argument(*names, **options)
    return parser.parse_args(argv)
`;
}
