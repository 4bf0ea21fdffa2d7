"""Runs exported train.py files against TF.js's answers (tests/unit/export-*.test.ts).

For each case: a project folder (train.py, weights.npz, manifest.json: the state before a
step) and inputs.npz beside them: the step's inputs (x and noise.<name> for a one-loss
model, in.<name> for a model with a train_step), and TF.js's answers: term.<name> its
terms, after.<name> the weights and buffers after its step, m.<name> and v.<name> Adam's
moments, and for a sampler z and samples (or the uniforms of an autoregressive sampler, or a Langevin
walk's start, noise and end). Prints one JSON object per case: the differences.
"""
import importlib.util
import json
import sys

import numpy as np
import torch


def relative(a, b, scale=None):
    """max |a - b| / max |b|: a difference on the scale of the values (or of `scale`, what they are computed from)."""
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b if scale is None else scale)), 1e-30))


def run(project):
    spec = importlib.util.spec_from_file_location(f"train_{abs(hash(project))}", f"{project}/train.py")
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    args = train.parse_args([])  # the run's own settings are the defaults
    model = train.Model(args)
    optimizers = {name: train.Adam(p, lr, b1, b2, args.adam_epsilon) for name, (p, lr, b1, b2) in model.optimizer_groups(args).items()}
    train.load_state(f"{project}/weights.npz", model, optimizers)
    inputs = np.load(f"{project}/inputs.npz")
    m_before = {name: m.clone().numpy() for optimizer in optimizers.values() for name, m in optimizer.m.items()}
    if hasattr(model, "train_step"):
        step_inputs = {key[3:]: torch.from_numpy(inputs[key]) for key in inputs.files if key.startswith("in.")}
        step_inputs = {key: value.long() if "labels" in key else value for key, value in step_inputs.items()}
        terms = model.train_step(step_inputs, optimizers, lambda optimizer: None)
    else:
        (optimizer,) = optimizers.values()
        noise = {key[len("noise."):]: torch.from_numpy(inputs[key]) for key in inputs.files if key.startswith("noise.")}
        loss, terms = model(torch.from_numpy(inputs["x"]), noise)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # relative, or absolute for a term near 0 (a critic's mean score): it is a mean of larger values
    differences = (abs(value.item() - float(inputs[f"term.{name}"][0])) / max(abs(float(inputs[f"term.{name}"][0])), 1e-2) for name, value in terms.items())
    result = {"terms": max(differences), "grad": 0.0, "m": 0.0, "v": 0.0, "weights": 0.0, "buffers": 0.0}
    result["values"] = {name: value.item() for name, value in terms.items()}
    for optimizer in optimizers.values():
        for name, p in optimizer.parameters.items():
            # the gradients, from the first moments: m_1 = beta1 m_0 + (1 - beta1) g
            gradient = lambda m: (m - optimizer.beta1 * m_before[name]) / (1 - optimizer.beta1)
            result["grad"] = max(result["grad"], relative(gradient(optimizer.m[name].numpy()), gradient(inputs[f"m.{name}"])))
            # on the scale of its two terms, beta1 m_0 and (1 - beta1) g: where they cancel, m is
            # small and its own scale would turn the gradient's rounding into a large relative error
            terms_scale = np.abs(optimizer.beta1 * m_before[name]) + np.abs(inputs[f"m.{name}"] - optimizer.beta1 * m_before[name])
            result["m"] = max(result["m"], relative(optimizer.m[name].numpy(), inputs[f"m.{name}"], terms_scale))
            result["v"] = max(result["v"], relative(optimizer.v[name].numpy(), inputs[f"v.{name}"]))
            # on the scale of the step: the learning rate
            result["weights"] = max(result["weights"], float(np.max(np.abs(p.detach().numpy() - inputs[f"after.{name}"]))) / optimizer.lr)
    parameters = dict(model.named_parameters())
    for name, value in model.state_dict().items():
        if name not in parameters:
            result["buffers"] = max(result["buffers"], relative(value.numpy(), inputs[f"after.{name}"]))
    result["adam_steps"] = [optimizer.t for optimizer in optimizers.values()]
    if "uniforms" in inputs.files:  # an autoregressive sampler: the same pixels for the same uniform draws
        samples = model.draw_with_uniforms(torch.from_numpy(inputs["uniforms"]), float(inputs["temperature"][0])).numpy()
        result["samples"] = float(np.max(np.abs(samples - inputs["samples"])))
        result["samples_differing"] = int(np.sum(samples != inputs["samples"]))
    if "walk_start" in inputs.files:  # Langevin dynamics: the same end from the same start and noise
        noise = torch.from_numpy(inputs["walk_noise"])
        end = model.langevin(torch.from_numpy(inputs["walk_start"]), noise.shape[1], lambda k: noise[:, k]).numpy()
        result["walk"] = float(np.max(np.abs(end - inputs["walk_end"])))
    expected = {key[len("figure."):]: float(inputs[key][0]) for key in inputs.files if key.startswith("figure.")}
    if expected:  # figures on their own subset (the EBM's grid KL), after the step
        figures = model.held_out_extra(train.DATA(None), torch.device("cpu"))
        result["figures"] = max(abs(figures[name] - value) / abs(value) for name, value in expected.items())
    if "z" in inputs.files:
        samples = model.decode_mean(torch.from_numpy(inputs["z"])).numpy()
        result["samples"] = float(np.max(np.abs(samples - inputs["samples"])))
    return result


if __name__ == "__main__":
    for project in sys.argv[1:]:
        print(json.dumps({"project": project, **run(project)}), flush=True)
