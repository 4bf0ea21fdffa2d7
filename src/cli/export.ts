/**
 * Exports a run as a PyTorch project (src/export/): from a share link (fresh weights from
 * its seed, or trained --steps N here first) or a run file the page saved (its checkpoint,
 * and --steps N more).
 *
 *   npm run export -- '<share link or run file>' --out run.zip [--steps N] [--backend cpu|wasm]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { decodeRunFile } from '../app/history/run-file';
import type { RunConfig } from '../core/config';
import type { Checkpoint } from '../core/training/checkpoint';
import { createSession, nonFiniteMessage } from '../core/training/session';
import { decodeLink } from '../core/url-codec';
import { modelOf } from '../core/config';
import { canExport, exportZip } from '../export/project';
import { NODE_EXPORT_FILES } from './node-classifiers';
import { NODE_BACKENDS, useNodeBackend, type NodeBackend, allowRelaxedSimd } from './node-backend';
import { openNodeDataset } from './node-datasets';

const USAGE = "usage: npm run export -- '<share link or run file>' --out run.zip [--steps N] [--backend wasm|cpu]";

class UsageError extends Error {}

interface ExportOptions {
  source: string;
  out: string;
  steps: number;
  backend: NodeBackend;
}

function parseArgs(argv: string[]): ExportOptions {
  let source: string | undefined;
  let out: string | undefined;
  let steps = 0;
  let backend: NodeBackend = 'wasm';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--out') out = value();
    else if (flag === '--steps') {
      steps = Number(value());
      if (!Number.isInteger(steps) || steps < 0) throw new UsageError('--steps must be a whole number, 0 or more');
    } else if (flag === '--backend') {
      backend = value() as NodeBackend;
      if (!NODE_BACKENDS.includes(backend)) throw new UsageError(`--backend must be one of ${NODE_BACKENDS.join(', ')}`);
    } else if (flag === '--help' || flag === '-h') throw new UsageError('');
    else if (source === undefined && !flag.startsWith('--')) source = flag;
    else throw new UsageError(`unknown argument ${flag}`);
  }
  if (!source) throw new UsageError('give a share link or a run file');
  return { source, out: out ?? 'run.zip', steps, backend };
}

/** The run a share link (a whole URL, or its hash) or a run file names, and the file's checkpoint if it has one. */
function readSource(source: string): { config: RunConfig; checkpoint?: Checkpoint } {
  if (existsSync(source)) {
    const { run, checkpoint } = decodeRunFile(readFileSync(source, 'utf8'), 'export');
    return { config: run.config, ...(checkpoint ? { checkpoint } : {}) };
  }
  if (!source.includes('=')) throw new UsageError(`${source} is neither a run file (no such file) nor a share link`);
  const hash = source.includes('#') ? source.slice(source.indexOf('#') + 1) : source;
  const { config, warnings } = decodeLink(hash);
  // an export of something other than the link asked for helps nobody
  if (warnings.length > 0) throw new UsageError(`the link has problems: ${warnings.join(' ')}`);
  return { config };
}

async function main(): Promise<void> {
  allowRelaxedSimd(); // train as the page does
  const options = parseArgs(process.argv.slice(2));
  const { config, checkpoint: saved } = readSource(options.source);
  if (!canExport(config.model)) throw new Error(`runs of ${config.model} cannot be exported to PyTorch yet`);
  await useNodeBackend(options.backend);
  const session = await createSession(config, await openNodeDataset(config.dataset, config.values));
  try {
    if (saved) await session.restore(saved);
    const target = session.step + options.steps;
    while (session.step < target) {
      session.dispatch();
      if (session.step % 50 !== 0 && session.step !== target) continue;
      const { points, nonFinite } = await session.readMetrics();
      if (nonFinite) throw new Error(nonFiniteMessage(modelOf(config), config, nonFinite));
      console.log(JSON.stringify({ step: session.step, ...points[points.length - 1].values }));
    }
    const checkpoint = await session.checkpoint();
    if (!checkpoint) throw new Error(`${config.model} keeps no state to export`);
    const zip = await exportZip({
      config,
      checkpoint,
      ...NODE_EXPORT_FILES,
    });
    writeFileSync(options.out, zip);
    console.log(`wrote ${options.out}: ${config.model} on ${config.dataset} at step ${checkpoint.step} (${(zip.length / 2 ** 20).toFixed(1)} MB)`);
  } finally {
    session.dispose();
  }
}

main().catch((error) => {
  if (error instanceof UsageError) {
    if (error.message) console.error(`usage error: ${error.message}`);
    console.error(USAGE);
    process.exit(error.message ? 2 : 0);
  }
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
