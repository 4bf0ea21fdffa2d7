/**
 * The sample-quality figures of train.py, as the app computes them
 * (src/core/metrics/sample-quality.ts): on 2-D mixtures the modes covered and the share of
 * high-quality samples; on images with an evaluation classifier the Frechet classifier
 * distance between 1,000 samples and 1,000 test images, in that classifier's features.
 */
export const QUALITY = String.raw`
QUALITY_SAMPLES = {"image": 1000, "points": 2500}
QUALITY_SEED = 424242


class EvaluationClassifier:
    """The app's evaluation classifier (src/core/metrics/classifier.ts), trained in the browser's code and
    shipped in classifiers/: three 3x3 convolutions, each with ReLU and 2x2 max-pooling, then 128 ReLU
    features, whose statistics the Frechet classifier distance compares."""

    def __init__(self, directory):
        with open(os.path.join(directory, f"{DATASET['id']}.classifier.json")) as file:
            specs = json.load(file)["specs"]
        raw = np.fromfile(os.path.join(directory, f"{DATASET['id']}.classifier.bin"), dtype="<f4")
        self.weights, offset = {}, 0
        for spec in specs:
            size = math.prod(spec["shape"])
            self.weights[spec["name"]] = torch.from_numpy(raw[offset : offset + size].reshape(spec["shape"]).copy())
            offset += size

    @torch.no_grad()
    def features(self, images):
        """[n, H, W, C] in [0, 1] -> [n, 128]."""
        x = images.cpu().permute(0, 3, 1, 2)
        for layer in ("conv1", "conv2", "conv3"):
            kernel = self.weights[f"{layer}/kernel"].permute(3, 2, 0, 1)  # [kh, kw, in, out] -> [out, in, kh, kw]
            x = F.max_pool2d(F.relu(F.conv2d(x, kernel, self.weights[f"{layer}/bias"], padding=1)), 2)
        x = x.permute(0, 2, 3, 1).flatten(1)  # [n, h, w, C] flattened as TF.js flattens it
        return F.relu(x @ self.weights["features/kernel"] + self.weights["features/bias"])


def frechet_distance(a, b):
    """d^2 = ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between Gaussians fitted to two feature
    sets (Heusel et al. 2017, https://arxiv.org/abs/1706.08500), in float64. tr((S_a S_b)^(1/2)) is the sum of
    the square roots of the eigenvalues of S_a^(1/2) S_b S_a^(1/2), which is symmetric."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    dim = a.shape[1]

    def eigenvalue_roots(matrix):
        values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
        # below the solver's accuracy an eigenvalue is a rounded 0
        noise = dim * np.finfo(np.float64).eps * np.abs(values).max()
        return np.where(values > noise, np.sqrt(np.maximum(values, 0)), 0), vectors

    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    roots, vectors = eigenvalue_roots(cov_a)
    root_a = (vectors * roots) @ vectors.T
    trace_of_root = eigenvalue_roots(root_a @ cov_b @ root_a)[0].sum()
    distance = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_of_root
    return max(float(distance), 0.0)


def mode_coverage(points, centres, sigma):
    """VEEGAN's count (Srivastava et al. 2017, https://arxiv.org/abs/1705.07761): a sample is high quality within
    3 sigma of its nearest mode centre; a mode is covered when it is the nearest centre of a high-quality sample."""
    squared = (points[:, None, :] - centres[None, :, :]).square().sum(-1)  # [n, modes]
    nearest, closest = squared.argmin(1), squared.min(1).values
    close = closest < (3 * sigma) ** 2
    return {"modes_covered": len(set(nearest[close].tolist())), "high_quality_share": close.float().mean().item()}


class SampleQuality:
    """The figures the app computes on samples, each time with the same draws."""

    def __init__(self, data, data_dir):
        self.data, self.classifier, self.real = data, None, None
        directory = os.path.join(os.path.dirname(os.path.abspath(data_dir)), "classifiers")
        if DATASET["kind"] == "image" and os.path.exists(os.path.join(directory, f"{DATASET['id']}.classifier.json")):
            self.classifier = EvaluationClassifier(directory)

    @torch.no_grad()
    def __call__(self, model):
        if not hasattr(model, "sample"):
            return {}
        model.eval()
        generator = torch.Generator().manual_seed(QUALITY_SEED)
        figures = {}
        if DATASET["kind"] == "points" and DATASET.get("modes"):
            samples = model.sample(QUALITY_SAMPLES["points"], generator).cpu()
            # a set drawn without noise has no spread to measure closeness by: a hundredth of the unit circle stands in
            figures = mode_coverage(samples, torch.tensor(DATASET["modes"]), max(DATASET["spread"], 0.01))
        elif self.classifier is not None:
            if self.real is None:  # the test images' features, once
                index = list(range(min(QUALITY_SAMPLES["image"], self.data.count("test"))))
                self.real = self.classifier.features(self.data.take("test", index))
            samples = model.sample(QUALITY_SAMPLES["image"], generator)
            figures = {"frechet_classifier_distance": frechet_distance(self.real.numpy(), self.classifier.features(samples).numpy())}
        model.train()
        return figures
`;
