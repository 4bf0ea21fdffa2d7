import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../src/cli/node-backend';
import { loadNodeDataset } from '../../src/cli/node-datasets';
import { defaultConfig } from '../../src/core/config';
import { MODELS } from '../../src/core/models';
import { TrainingSession } from '../../src/core/training/session';

describe('live parameters', () => {
  beforeAll(async () => {
    await useNodeBackend('cpu');
  });

  it('every model with a live parameter can take it mid-run', () => {
    for (const model of MODELS) {
      const live = model.params.filter((spec) => spec.live);
      if (live.length === 0) continue;
      const session = new TrainingSession(defaultConfig(model.id), loadNodeDataset('mnist'));
      expect(session.model.setParams, `${model.id} marks ${live.map((s) => s.key)} live but has no setParams`).toBeTypeOf('function');
      session.dispose();
    }
  });

  it("a VAE's beta changes the objective of the running model: beta 0 leaves the reconstruction term alone", async () => {
    const config = defaultConfig('vae');
    Object.assign(config.values, { hidden: [32], batch: 16 });
    const session = new TrainingSession(config, loadNodeDataset('mnist'));
    const before = (await session.evaluate(50)).values;
    expect(before.loss).toBeCloseTo(before.recon + before.kl, 2);
    session.model.setParams!({ beta: 0 });
    const after = (await session.evaluate(50)).values;
    expect(after.loss).toBeCloseTo(after.recon, 3);
    expect(after.kl).toBeGreaterThan(0);
    session.model.setParams!({ beta: 4 });
    const four = (await session.evaluate(50)).values;
    expect(four.loss).toBeCloseTo(four.recon + 4 * four.kl, 1);
    session.dispose();
  });
});
