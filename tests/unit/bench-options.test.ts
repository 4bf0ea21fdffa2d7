/**
 * The benchmark's command line (src/cli/bench-options.ts) and bench:threads'
 * (src/cli/bench-thread-options.ts), the threads a row ran on, and --pytorch-isa: the
 * environment that holds PyTorch to AVX2 (src/cli/pytorch-isa.ts), checked on PyTorch itself.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HELP, parseArgs, threadsLabel, threadsOf, USAGE, watchPlan, type Row } from '../../src/cli/bench-options';
import { pytorchIsaEnv } from '../../src/cli/pytorch-isa';
import { pythonWithTorch } from '../../src/cli/pytorch-timing';
import { CONVOLUTIONAL, parseThreadOptions, THREADS_USAGE } from '../../src/cli/bench-thread-options';

describe('the benchmark\'s options', () => {
  it('reads --help, whose text gives each option of the usage line a line of its own', () => {
    expect(parseArgs(['--help']).help).toBe(true);
    expect(parseArgs(['--pytorch']).help).toBeUndefined();
    const flags = USAGE.match(/--[a-z-]+/g) ?? [];
    expect(flags.length).toBeGreaterThan(15);
    // every option of the usage line has its own line in the help
    for (const flag of flags) expect(HELP).toMatch(new RegExp(`^  ${flag}\\b`, 'm'));
  });

  it('reads --pytorch, --rounds and --pytorch-isa, and refuses what it does not know', () => {
    expect(parseArgs(['--pytorch', '--rounds', '3', '--pytorch-isa', 'avx2'])).toMatchObject({ pytorch: true, rounds: 3, pytorchIsa: 'avx2' });
    expect(parseArgs([]).pytorchIsa).toBeUndefined();
    expect(() => parseArgs(['--pytorch-isa', 'avx512'])).toThrow(/--pytorch-isa takes avx2/);
    expect(() => parseArgs(['--pytorch-isa'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--rounds', '0'])).toThrow(/positive whole number/);
  });

  it('reads --profile, and --by-shape as a profile with kernels apart by their inputs\' shapes', () => {
    expect(parseArgs([])).toMatchObject({ profile: false });
    expect(parseArgs([]).byShape).toBeUndefined();
    expect(parseArgs(['--profile'])).toMatchObject({ profile: true });
    expect(parseArgs(['--by-shape'])).toMatchObject({ profile: true, byShape: true });
  });

  it('reads which sampler passes to time and on which dataset, all three on MNIST by default', () => {
    expect(parseArgs([])).toMatchObject({ passes: ['cached', 'cropped', 'naive'], samplingData: 'mnist' });
    expect(parseArgs(['--passes', 'cached,cropped', '--sampling-data', 'colored-mnist'])).toMatchObject({ passes: ['cached', 'cropped'], samplingData: 'colored-mnist' });
    expect(() => parseArgs(['--passes', 'cached,fast'])).toThrow(/--passes takes some of cached, cropped, naive/);
    expect(() => parseArgs(['--passes', ','])).toThrow(/--passes takes/);
    expect(() => parseArgs(['--sampling-data', 'cifar'])).toThrow(/unknown dataset cifar/);
  });

  it('watches every model\'s page on MNIST, and on the ring where it trains on 2-D points', () => {
    const plan = watchPlan(parseArgs(['--browser-backends', 'wasm,cpu'])).pages;
    expect(plan.filter((page) => page.dataset === 'mnist').map((page) => page.model)).toEqual(['ae', 'ae', 'ae', 'conv-ae', 'dae', 'vae', 'gan', 'pixelcnn', 'pixelcnnpp', 'pixelrnn', 'ebm', 'rbm']);
    // the first model's first page also on each backend asked for; every other page on what a person gets
    expect(plan.filter((page) => page.backend !== 'auto')).toEqual([
      { model: 'ae', dataset: 'mnist', backend: 'wasm' },
      { model: 'ae', dataset: 'mnist', backend: 'cpu' },
    ]);
    expect(plan.filter((page) => page.dataset === 'ring')).toEqual(['ae', 'vae', 'gan', 'ebm'].map((model) => ({ model, dataset: 'ring', backend: 'auto' })));
    expect(watchPlan(parseArgs(['--models', 'pixelcnn,gan', '--watch-data', 'moons,mnist,moons']))).toEqual({
      pages: [
        { model: 'pixelcnn', dataset: 'mnist', backend: 'auto' },
        ...['webgpu', 'webgl', 'wasm', 'cpu'].map((backend) => ({ model: 'pixelcnn', dataset: 'mnist', backend })),
        { model: 'gan', dataset: 'moons', backend: 'auto' },
        { model: 'gan', dataset: 'mnist', backend: 'auto' },
      ],
      skipped: [],
    });
    // a model with no page hands the backends to the first that has one, and is named
    expect(watchPlan(parseArgs(['--models', 'pixelcnn,gan', '--watch-data', 'ring', '--browser-backends', 'wasm']))).toEqual({
      pages: [
        { model: 'gan', dataset: 'ring', backend: 'auto' },
        { model: 'gan', dataset: 'ring', backend: 'wasm' },
      ],
      skipped: ['pixelcnn'],
    });
    expect(() => parseArgs(['--watch-data', 'mnist,cifar'])).toThrow(/--watch-data takes dataset ids; unknown: cifar/);
    expect(() => parseArgs(['--watch-data', ','])).toThrow(/--watch-data takes/);
  });

  it('adds nothing to PyTorch\'s environment without --pytorch-isa', () => {
    expect(pytorchIsaEnv(undefined)).toEqual({});
  });

  const python = pythonWithTorch();
  it.skipIf(!python)('holds oneDNN\'s convolutions and ATen\'s kernels to AVX2, as each reports', () => {
    // a convolution large enough for PyTorch to hand to oneDNN (small ones it runs itself)
    const script = ['import torch', 'torch.nn.functional.conv2d(torch.randn(8, 32, 28, 28), torch.randn(32, 32, 5, 5), padding=2)', 'print(torch.__config__.show())'].join('\n');
    const run = spawnSync(python!, ['-c', script], { encoding: 'utf8', env: { ...process.env, ...pytorchIsaEnv('avx2'), ONEDNN_VERBOSE: '1', DNNL_VERBOSE: '1' } });
    expect(run.status, run.stderr).toBe(0);
    // oneDNN prints the ISA it dispatches to, ATen's build info the kernels it picked: AVX2 at most (less on an older processor), never AVX-512
    const lines = run.stdout.split('\n');
    const [oneDnn, aten] = [lines.find((line) => /verbose,info,cpu,isa:/.test(line)), lines.find((line) => /CPU capability usage/.test(line))];
    expect(oneDnn, run.stdout.slice(0, 500)).toBeDefined();
    expect(aten, run.stdout.slice(-500)).toBeDefined();
    for (const line of [oneDnn, aten]) expect(line).not.toMatch(/AVX-512|AVX512/i);
  });
});

describe('the threads a benchmark row ran on', () => {
  const browserRow = (backend: string, wasmThreads?: number): Row => ({ model: 'ebm', where: 'browser', backend, note: '', details: wasmThreads === undefined ? undefined : { wasmThreads } });

  it('labels a page by the count it asked for, and says so where TF.js started another (tfjs#6081)', () => {
    expect(threadsLabel('wasm', 2, 2)).toEqual({ backend: 'wasm (2 threads)', note: '' });
    expect(threadsLabel('wasm', 1, undefined)).toEqual({ backend: 'wasm (1 thread)', note: '' });
    expect(threadsLabel('wasm', 2, 1)).toEqual({ backend: 'wasm (asked for 2 threads)', note: '; TF.js started 1, not 2' });
    expect(threadsLabel('wasm', 1, 4).backend).toBe('wasm (asked for 1 thread)');
    // our kernels ran the count asked for where TF.js did not: the page ran it (its note says which ran what)
    expect(threadsLabel('wasm', 2, 1, 2)).toEqual({ backend: 'wasm (2 threads)', note: '' });
    expect(threadsLabel('wasm', 2, 1, 1).backend).toBe('wasm (asked for 2 threads)');
  });

  it('counts the threads a page reported, whatever its label asked for', () => {
    // a page that asked for two and ran one: its peak and its speed-up are one thread's
    expect(threadsOf(browserRow('wasm (asked for 2 threads)', 1))).toBe(1);
    expect(threadsOf(browserRow('wasm', 2))).toBe(2);
    // our kernels' count first: they do most of a step's arithmetic
    expect(threadsOf({ ...browserRow('wasm (2 threads)', 1), details: { wasmThreads: 1, kernelThreads: 2 } })).toBe(2);
    // without the page's count, the label's; without either, 1
    expect(threadsOf(browserRow('wasm (4 threads)'))).toBe(4);
    expect(threadsOf(browserRow('wasm (asked for 2 threads)'))).toBe(2);
    expect(threadsOf(browserRow('webgl'))).toBe(1);
    // Node's rows say their own count
    expect(threadsOf({ model: 'ebm', where: 'node', backend: 'wasm', note: '', details: { threads: 1 } })).toBe(1);
  });
});

describe('bench:threads\' options', () => {
  it('reads its counts, models and --pytorch (which --pytorch-isa implies), and refuses what it does not know', () => {
    expect(parseThreadOptions([], 2)).toEqual({ models: CONVOLUTIONAL, cores: 2, steps: 15, rounds: 2, build: true, pytorch: false });
    expect(parseThreadOptions(['--models', 'ebm,gan', '--cores', '4', '--steps', '5', '--rounds', '3', '--no-build', '--pytorch'], 2))
      .toEqual({ models: ['ebm', 'gan'], cores: 4, steps: 5, rounds: 3, build: false, pytorch: true });
    expect(parseThreadOptions(['--pytorch-isa', 'avx2'], 2)).toMatchObject({ pytorch: true, pytorchIsa: 'avx2' });
    for (const wrong of [['--pytorch-isa', 'avx512'], ['--rounds', '0'], ['--cores', '1.5'], ['--models'], ['--models', '--pytorch'], ['--models', 'ebm,typo'], ['--threads', '2']]) {
      expect(() => parseThreadOptions(wrong, 2)).toThrow(THREADS_USAGE);
    }
  });
});
