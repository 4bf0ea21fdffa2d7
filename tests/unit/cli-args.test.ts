import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/core/config';
import { MODELS } from '../../src/core/models';
import { HelpRequested, parseCliArgs, UsageError } from '../../src/cli/args';

function usageError(argv: string[]): UsageError {
  try {
    parseCliArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`parseCliArgs(${JSON.stringify(argv)}) did not throw`);
}

describe('parseCliArgs', () => {
  it('--help lists every flag, model and dataset', () => {
    expect(() => parseCliArgs(['--model', 'vae', '--help'])).toThrow(HelpRequested);
    try {
      parseCliArgs(['-h']);
    } catch (error) {
      const text = (error as Error).message;
      for (const word of ['--steps', '--backend', '--out', '--set', 'conv-ae', 'spiral', 'fashion-mnist']) expect(text).toContain(word);
    }
  });

  it('defaults: ae on mnist, wasm, 500 steps, log and evaluate every 50', () => {
    expect(parseCliArgs([])).toEqual({
      config: { ...defaultConfig('ae'), backend: 'wasm' },
      steps: 500,
      logEvery: 50,
      evalEvery: 50,
      backend: 'wasm',
      out: undefined,
    });
    expect(parseCliArgs([], { steps: 20 }).steps).toBe(20);
  });

  it('reads every flag', () => {
    const options = parseCliArgs([
      '--model', 'ae',
      '--dataset', 'fashion-mnist',
      '--backend', 'cpu',
      '--steps', '30',
      '--log-every', '10',
      '--eval-every', '15',
      '--out', 'run.json',
    ]);
    expect(options).toMatchObject({ steps: 30, logEvery: 10, evalEvery: 15, backend: 'cpu', out: 'run.json' });
    expect(options.config).toMatchObject({ model: 'ae', dataset: 'fashion-mnist', backend: 'cpu' });
  });

  it('reads --set values through the schema', () => {
    const { config } = parseCliArgs(['--set', 'hidden=32,16', '--set', 'lr=3e-4', '--set', 'batch=8', '--set', 'recon=bce']);
    expect(config.values).toEqual({ ...defaultConfig('ae').values, hidden: [32, 16], lr: 0.0003, batch: 8, recon: 'bce' });
    // the last of repeated settings wins
    expect(parseCliArgs(['--set', 'batch=8', '--set', 'batch=16']).config.values.batch).toBe(16);
  });

  it.each([
    [['--model', 'no-such-model'], `unknown model "no-such-model"; known: ${MODELS.map((model) => model.id).join(', ')}`],
    [['--dataset', 'cifar10'], 'unknown dataset "cifar10"; known: mnist, fashion-mnist, colored-mnist, emoji16, emoji32, ring, grid, moons, spiral, circles'],
    [['--backend', 'webgl'], '--backend must be one of cpu, wasm'],
    [['--bogus'], 'unknown argument "--bogus"'],
    [['mnist'], 'unknown argument "mnist"'],
    [['--steps', '0'], '--steps must be a positive whole number, not "0"'],
    [['--steps', '2.5'], '--steps must be a positive whole number, not "2.5"'],
    [['--steps', 'ten'], '--steps must be a positive whole number, not "ten"'],
    [['--log-every', '-1'], '--log-every must be a positive whole number, not "-1"'],
    [['--steps'], '--steps needs a value'],
    [['--steps', '--model', 'ae'], '--steps needs a value'],
    [['--set', 'lr=abc'], 'lr is not a number'],
    [['--set', 'lr=1'], 'lr must be between 0.00001 and 0.1'],
    [['--set', 'hidden=32,2'], 'hidden each entry must be between 4 and 1024'],
    [['--set', 'nope=1'], '"nope" is not a setting of ae on mnist; settings: lr, batch, seed, bottleneck, hidden, activation, recon, from, to'],
    [['--dataset', 'spiral', '--set', 'from=3'], '"from" is not a setting of ae on spiral; settings: lr, batch, seed, bottleneck, hidden, activation, recon, spread'],
    [['--model', 'conv-ae', '--dataset', 'ring'], 'Convolutional autoencoder trains on images, and Ring of 8 Gaussians is a set of 2-D points; datasets for conv-ae: mnist, fashion-mnist, colored-mnist, emoji16, emoji32'],
    [['--set', 'lr'], '--set takes key=value, not "lr"'],
    [['--set', '=1'], '--set takes key=value, not "=1"'],
  ])('%j is a usage error', (argv, message) => {
    expect(usageError(argv).message).toBe(message);
  });
});
