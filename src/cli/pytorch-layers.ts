/**
 * A convolution layer's three training passes in PyTorch on the CPU, for the layer grid
 * (./bench-layers.ts): the forward pass (conv2d), the input gradient and the filter gradient
 * (aten's convolution_backward, each asked for alone), on the layout PyTorch takes by default
 * (NCHW; oneDNN picks its own blocked layout inside), with no bias.
 */
import { spawnSync } from 'node:child_process';

export interface LayerShape {
  batch: number;
  size: number;
  channels: number;
  kernel: number;
}

/** ms per run of each pass, best of three rounds. */
export interface PassTimes {
  forward: number;
  inputGradient: number;
  filterGradient: number;
}

const SCRIPT = `
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
shapes, least = json.loads(sys.argv[2]), float(sys.argv[3])
backward = torch.ops.aten.convolution_backward

def best(run, reps):
    run(); run()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(reps): run()
        times.append((time.perf_counter() - start) / reps)
    return 1000 * min(times)

results = []
for s in shapes:
    b, n, c, k = s['batch'], s['size'], s['channels'], s['kernel']
    x, w = torch.randn(b, c, n, n), torch.randn(c, c, k, k)
    pad = [k // 2, k // 2]
    dy = torch.randn_like(torch.nn.functional.conv2d(x, w, padding=pad))
    reps = max(1, round(least / (2 * b * n * n * c * c * k * k)))
    with torch.no_grad():
        results.append({
            'forward': best(lambda: torch.nn.functional.conv2d(x, w, padding=pad), reps),
            'inputGradient': best(lambda: backward(dy, x, w, None, [1, 1], pad, [1, 1], False, [0, 0], 1, [True, False, False]), reps),
            'filterGradient': best(lambda: backward(dy, x, w, None, [1, 1], pad, [1, 1], False, [0, 0], 1, [False, True, False]), reps),
        })
print(json.dumps(results))
`;

/**
 * Times every shape's passes in one PyTorch process on `threads` threads, each pass repeated
 * to about `leastFlops` of arithmetic; `env` adds to its environment (./pytorch-isa.ts). An
 * error says why PyTorch gave no times.
 */
export function timePyTorchLayers(python: string, shapes: LayerShape[], threads: number, leastFlops: number, env: Record<string, string> = {}): PassTimes[] {
  const run = spawnSync(python, ['-c', SCRIPT, String(threads), JSON.stringify(shapes), String(leastFlops)], {
    encoding: 'utf8',
    timeout: 20 * 60_000,
    env: { ...process.env, ...env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
  });
  const last = run.stdout?.trim().split('\n').at(-1);
  if (run.status !== 0 || !last) throw new Error(`PyTorch's layer timing failed: ${(run.stderr || run.error?.message || 'no output').trim().split('\n').at(-1)}`);
  return JSON.parse(last) as PassTimes[];
}
