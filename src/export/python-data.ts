/**
 * The data section of every train.py: the app's own uint8 dataset files (images) or the
 * same 2-D generators (points), read the way the app reads them.
 */
import type { DataSpec } from '../core/datasets/catalog';

/** The dataset's facts, as a Python literal. */
export function datasetLiteral(data: DataSpec, spread: number | undefined): string {
  const facts = { id: data.id, kind: data.kind, shape: data.shape, counts: data.counts, classes: data.classNames?.length ?? 0, ...(spread !== undefined ? { spread } : {}), ...(data.kind === 'points' && data.modes ? { modes: data.modes } : {}) };
  return `DATASET = ${JSON.stringify(facts)}`;
}

const IMAGES = String.raw`
def read_u8(path):
    """One of the app's dataset files: gzipped bytes, one a pixel (or a label), no header."""
    with gzip.open(path, "rb") as file:
        return np.frombuffer(file.read(), dtype=np.uint8)


class Images:
    """uint8 images [N, H, W, C] of the train and test splits, turned into floats one batch at a time."""

    def __init__(self, data_dir):
        height, width, channels = DATASET["shape"]
        self.images, self.labels = {}, {}
        for split in ("train", "test"):
            path = os.path.join(data_dir, f"{DATASET['id']}-{split}-images.u8.gzip")
            self.images[split] = read_u8(path).reshape(-1, height, width, channels)
            self.labels[split] = read_u8(os.path.join(data_dir, f"{DATASET['id']}-{split}-labels.u8.gzip"))
            assert len(self.images[split]) == DATASET["counts"][split], f"{path}: unexpected image count"

    def count(self, split):
        return len(self.images[split])

    def draw(self, n, generator, encoding="unit"):
        """n training images drawn at random, with replacement across batches (the usual SGD sampling)."""
        index = torch.randint(self.count("train"), (n,), generator=generator)
        return self.take("train", index, encoding, generator)

    def draw_labelled(self, n, generator, encoding="unit"):
        """n training images drawn at random, and their labels [n]."""
        index = torch.randint(self.count("train"), (n,), generator=generator)
        return self.take("train", index, encoding, generator), torch.from_numpy(self.labels["train"][index.numpy()].astype(np.int64))

    def take(self, split, index, encoding="unit", generator=None, seed=None):
        """Images by index, [n, H, W, C] float32. With a seed, binary-sampled images are the app's own:
        each image's coins from its index and the seed, the same binary image in whatever batch it comes."""
        x = torch.from_numpy(self.images[split][np.asarray(index)].astype(np.float32))
        if encoding == "unit":
            return x / 255  # pixels in [0, 1]
        if encoding == "bytes":
            return x  # the values 0..255 themselves (as floats)
        if encoding == "binary-threshold":
            return (x > 127.5).float()  # x_b = [x / 255 > 1/2]
        if encoding == "binary-sampled":
            # x_b ~ Bernoulli(x / 255): u * 255 < x, u uniform in [0, 1)
            if seed is not None:
                u = torch.from_numpy(np.stack([item_uniforms(seed, i, x[0].numel()) for i in np.asarray(index).tolist()]).reshape(x.shape))
            else:  # drawn afresh at each read
                u = torch.rand(x.shape, generator=generator)
            return (u * 255 < x.to(u.dtype)).float()
        raise ValueError(f"unknown encoding {encoding}")


def item_uniforms(seed, index, count):
    """The first count numbers of the app's random source for one item (src/core/random.ts: mulberry32 from
    itemSeed(seed, index)), in float64 as the app compares them. Each number depends only on its position:
    state_k = s + k * 0x6D2B79F5, so numpy computes them all at once, in wrapping uint32 arithmetic."""
    s = ((seed * 0x9E3779B1) & 0xFFFFFFFF) ^ (((index + 1) * 0x85EBCA6B) & 0xFFFFFFFF)
    with np.errstate(over="ignore"):
        t = np.uint32(s) + np.arange(1, count + 1, dtype=np.uint32) * np.uint32(0x6D2B79F5)
        t = (t ^ (t >> np.uint32(15))) * (t | np.uint32(1))
        t ^= t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61))
        t ^= t >> np.uint32(14)
    return t.astype(np.float64) / 4294967296
`;

const POINTS = String.raw`
def mulberry32(seed):
    """The app's seeded random source (src/core/random.ts), so the fixed held-out points are the browser's own."""
    state = seed & 0xFFFFFFFF

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def next_uniform():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return next_uniform


def place(k, u):
    """Where a point of part k sits before its noise, from one uniform draw u (src/core/datasets/points.ts)."""
    name = DATASET["id"]
    if name == "ring":  # 8 Gaussians on the unit circle
        return math.cos(2 * math.pi * k / 8), math.sin(2 * math.pi * k / 8)
    if name == "grid":  # 25 Gaussians at {-4, -2, 0, 2, 4}^2
        return -4 + 2 * (k % 5), -4 + 2 * (k // 5)
    if name == "moons":
        t = math.pi * u
        return (math.cos(t) - 0.5, math.sin(t) - 0.25) if k == 0 else (0.5 - math.cos(t), 0.25 - math.sin(t))
    if name == "spiral":  # r = 0.3 + 2.7 theta / 4 pi, two turns
        theta = 4 * math.pi * math.sqrt(u)
        r = 0.3 + 2.7 * theta / (4 * math.pi)
        return r * math.cos(theta), r * math.sin(theta)
    if name == "circles":
        radius = 1 if k == 0 else 0.5
        return radius * math.cos(2 * math.pi * u), radius * math.sin(2 * math.pi * u)
    raise ValueError(name)


PARTS = {"ring": 8, "grid": 25, "moons": 2, "spiral": 1, "circles": 2}


class Points:
    """A 2-D toy distribution: fresh points every batch, and the browser's fixed held-out points."""

    def __init__(self, data_dir=None):
        # the app draws its fixed test set from this seed, so held-out figures are comparable with the browser's
        self.test = self.generate(DATASET["counts"]["test"], mulberry32(19700101))

    def generate(self, n, uniform):
        points = []
        for _ in range(n):
            part = math.floor(uniform() * PARTS[DATASET["id"]])
            x, y = place(part, uniform())
            normals = []
            for _ in range(2):
                # Box-Muller, as the app draws it: sqrt(-2 ln u1) cos(2 pi u2)
                u1, u2 = 1 - uniform(), uniform()
                normals.append(math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2))
            points.append((x + DATASET["spread"] * normals[0], y + DATASET["spread"] * normals[1]))
        return torch.tensor(points, dtype=torch.float32)

    def count(self, split):
        return len(self.test)

    def draw(self, n, generator, encoding="unit"):
        return self.draw_labelled(n, generator)[0]

    def draw_labelled(self, n, generator, encoding="unit"):
        """n fresh points: a part (the label), a place on it, and N(0, spread^2) noise on each coordinate."""
        parts = torch.randint(PARTS[DATASET["id"]], (n,), generator=generator)
        u = torch.rand(n, generator=generator, dtype=torch.float64).tolist()
        noise = torch.randn(n, 2, generator=generator) * DATASET["spread"]
        return torch.tensor([place(k, v) for k, v in zip(parts.tolist(), u)], dtype=torch.float32) + noise, parts

    def take(self, split, index, encoding="unit", generator=None):
        return self.test[torch.as_tensor(index)]
`;

/** The Python that reads this dataset. */
export function dataSection(data: DataSpec): string {
  return data.kind === 'image' ? IMAGES : POINTS;
}
