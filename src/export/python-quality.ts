/**
 * The sample-quality figures of train.py, as the app computes them
 * (src/core/metrics/sample-quality.ts): on 2-D points precision and recall in the plane,
 * and on mixtures the modes covered and the share of high-quality samples; on images with
 * an evaluation classifier the Frechet classifier distance between 1,000 samples and 1,000
 * test images, precision and recall in that classifier's features, and the classes the
 * samples cover.
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

    @torch.no_grad()
    def classes(self, features):
        """The class each image is read as, from its features [n, 128]: argmax of the logits features W + b. -> [n]"""
        return (features @ self.weights["logits/kernel"] + self.weights["logits/bias"]).argmax(1)


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


def precision_recall(real, generated, k=3):
    """Improved precision and recall (Kynkaanniemi et al. 2019, https://arxiv.org/abs/1904.06991; the app's
    precision-recall.ts): each set stands for the union of balls around its points, each ball's radius the distance
    from its point to that point's k-th nearest neighbour in the same set (itself not counted), and
        precision = share of generated points inside the real set's balls (are samples realistic?)
        recall    = share of real points inside the generated set's balls (is all of the data covered?)
    A point on a ball's boundary is inside. Euclidean distances in float64, k = 3."""
    real, generated = (torch.as_tensor(np.asarray(points, dtype=np.float64)) for points in (real, generated))

    def distances(a, b):
        # from the differences, as the app computes them (|a|^2 + |b|^2 - 2ab would put a point's copy above 0)
        return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")

    def share_inside(queries, centres):
        radii = distances(centres, centres).sort(1).values[:, k]  # column 0: the point itself
        return (distances(queries, centres) <= radii).any(1).double().mean().item()

    return {"precision": share_inside(generated, real), "recall": share_inside(real, generated)}


COVERAGE_SHARE = 0.25  # a class is covered when its share of the samples reaches a quarter of the fair share 1 / classes


def class_coverage(predicted, classes):
    """The classes the samples fall into, as the evaluation classifier reads them (the app's class-coverage.ts, in
    the spirit of VEEGAN's mode counts, https://arxiv.org/abs/1705.07761): a class is covered when at least
    COVERAGE_SHARE / classes of the samples are read as it (2.5% with 10 classes), and
        class_kl = KL(histogram || uniform) = sum_c p_c log(p_c classes),   0 log 0 = 0."""
    counts = torch.bincount(predicted.cpu(), minlength=classes).double()
    total = counts.sum()
    # count / total >= COVERAGE_SHARE / classes, multiplied out so that no division rounds the boundary
    covered = int((counts * classes >= COVERAGE_SHARE * total).sum())
    shares = counts[counts > 0] / total
    return {"classes_covered": covered, "class_kl": (shares * torch.log(shares * classes)).sum().item()}


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
        if DATASET["kind"] == "points":
            samples = model.sample(QUALITY_SAMPLES["points"], generator).cpu()
            real = self.data.take("test", list(range(min(QUALITY_SAMPLES["points"], self.data.count("test")))))
            figures = precision_recall(real, samples)
            if DATASET.get("modes"):
                # a set drawn without noise has no spread to measure closeness by: a hundredth of the unit circle stands in
                figures.update(mode_coverage(samples, torch.tensor(DATASET["modes"]), max(DATASET["spread"], 0.01)))
        elif self.classifier is not None:
            # as many samples and test images as the app compares for the model (fewer for a slow sampler: its quality_samples)
            n = getattr(model, "quality_samples", QUALITY_SAMPLES["image"])
            if self.real is None:  # the test images' features, once
                index = list(range(min(n, self.data.count("test"))))
                self.real = self.classifier.features(self.data.take("test", index))
            samples = model.sample(n, generator)
            features = self.classifier.features(samples)
            figures = {
                "frechet_classifier_distance": frechet_distance(self.real.numpy(), features.numpy()),
                **precision_recall(self.real, features),
                **class_coverage(self.classifier.classes(features), DATASET["classes"] or 10),
            }
        model.train()
        return figures
`;
