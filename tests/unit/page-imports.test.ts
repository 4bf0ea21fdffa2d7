/**
 * The page never loads TF.js: only the training worker does (the page would otherwise
 * download and parse some 1.8 MB of script it never runs). Follows the page's static
 * imports from its entry, skipping type-only ones, which the compiler erases.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const IMPORT = /^\s*import\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

function resolveModule(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  const candidates = [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')];
  const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  if (!found || !/\.(ts|tsx|css)$/.test(found)) throw new Error(`cannot resolve ${specifier} from ${relative(ROOT, from)}`);
  return found;
}

/** The module graph from `entry` at load time: its own files, and every package with the file that imports it. */
function staticGraph(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const packages = new Map<string, string>();
  const files = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file) || file.endsWith('.css')) return;
    files.add(file);
    for (const [, typeOnly, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (typeOnly) continue;
      if (specifier.startsWith('.')) visit(resolveModule(file, specifier));
      else if (!packages.has(specifier)) packages.set(specifier, relative(ROOT, file));
    }
  };
  visit(entry);
  return { files, packages };
}

const runtimePackages = (entry: string) => staticGraph(entry).packages;

describe('the page bundle', () => {
  it('loads React, Recharts and the registries, but no TF.js', () => {
    const packages = runtimePackages(join(ROOT, 'src/app/main.tsx'));
    // The walk reaches the registry and the UI libraries: it is really following the graph.
    expect([...packages.keys()]).toEqual(expect.arrayContaining(['react', 'recharts', 'zustand']));
    const tfImports = [...packages].filter(([name]) => name.startsWith('@tensorflow/')).map(([name, file]) => `${name} from ${file}`);
    expect(tfImports).toEqual([]);
  });

  it('the worker does load TF.js (the check would see it)', () => {
    const packages = runtimePackages(join(ROOT, 'src/worker/training.worker.ts'));
    expect([...packages.keys()]).toContain('@tensorflow/tfjs');
  });

  it("the worker loads each model's code only when a run needs it: no model file is in its static graph", () => {
    const { files } = staticGraph(join(ROOT, 'src/worker/training.worker.ts'));
    const reached = [...files].map((file) => relative(ROOT, file));
    // the registry and the specs are there; the code they import lazily is not
    expect(reached).toContain('src/core/models/index.ts');
    expect(reached).toContain('src/core/models/autoencoders/vae-spec.ts');
    const modelCode = reached.filter((file) => /^src\/core\/models\/[^/]+\/(?!.*-spec\.ts$)(?!params\.ts$)/.test(file));
    expect(modelCode).toEqual([]);
  });
});
