/**
 * The same training step in PyTorch, for the benchmark's side-by-side ratio: the run is
 * exported as its PyTorch project (src/export/, the same network, weights, batch and
 * optimizer) and its train.py times steps on the CPU (`--time N`), with as many threads as
 * the WASM backend has, in the same sitting as our measurement.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import type { RunConfig } from '../core/config';
import type { Checkpoint } from '../core/training/checkpoint';
import { canExport, projectFiles } from '../export/project';
import { exportFamilyOf } from '../export/registry';
import { modelValues } from '../core/config';
import { NODE_EXPORT_FILES } from './node-classifiers';

let found: { python?: string } | undefined;

/** The Python with torch: $PYTHON, else Debian's (python3-torch), else python3 on the PATH; looked for once (importing torch takes a second or two). */
export function pythonWithTorch(): string | undefined {
  if (!found) {
    const candidates = [process.env.PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => Boolean(c));
    found = { python: candidates.find((python) => spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0) };
  }
  return found.python;
}

export interface PyTorchTiming {
  msPerStep?: number;
  /** Why there is no figure, or how it was taken. */
  note: string;
}

/** Times `steps` steps of the exported run in PyTorch on `threads` CPU threads; `env` adds to its environment (./pytorch-isa.ts). */
export async function timePyTorch(config: RunConfig, checkpoint: Checkpoint, steps: number, threads: number, python: string, env: Record<string, string> = {}): Promise<PyTorchTiming> {
  if (!canExport(config.model)) return { note: `${config.model} has no PyTorch export yet` };
  const why = exportFamilyOf(config.model)?.unsupported?.(modelValues(config));
  if (why) return { note: why };
  const folder = mkdtempSync(join(os.tmpdir(), 'bench-pytorch-'));
  try {
    const files = await projectFiles({
      config,
      checkpoint,
      ...NODE_EXPORT_FILES,
    });
    for (const [path, bytes] of Object.entries(files)) {
      mkdirSync(dirname(join(folder, path)), { recursive: true });
      writeFileSync(join(folder, path), bytes);
    }
    const threadsEnv = String(threads);
    const run = spawnSync(python, ['train.py', '--time', String(steps), '--device', 'cpu'], {
      cwd: folder,
      encoding: 'utf8',
      env: { ...process.env, ...env, OMP_NUM_THREADS: threadsEnv, MKL_NUM_THREADS: threadsEnv },
      timeout: 20 * 60_000,
    });
    const line = run.stdout?.split('\n').find((text) => text.startsWith('{"timing"'));
    if (run.status !== 0 || !line) return { note: `train.py failed: ${(run.stderr || run.error?.message || '').trim().split('\n').at(-1) ?? 'no output'}` };
    const result = JSON.parse(line) as { ms_per_step: number; threads: number };
    return { msPerStep: result.ms_per_step, note: `${steps} steps, ${result.threads} thread${result.threads > 1 ? 's' : ''}` };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
