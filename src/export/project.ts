/**
 * A run as a PyTorch project: train.py, the run's weights and Adam state (weights.npz and
 * manifest.json), the app's dataset files, and a README, zipped. Pure TypeScript without
 * TF.js or the DOM: the page, the worker and the command-line runner all call it.
 */
import { strToU8, zipSync } from 'fflate';
import { datasetOf, modelOf, modelValues, settingsOf, type RunConfig } from '../core/config';
import { datasetFileName, type Split } from '../core/datasets/catalog';
import type { Checkpoint } from '../core/training/checkpoint';
import { encodeLink } from '../core/url-codec';
import { checkpointArrays } from './checkpoint-arrays';
import type { ExportRun } from './families';
import { npzBytes, type NamedArray } from './npy';
import { datasetLiteral, dataSection } from './python-data';
import { LAYERS } from './python-layers';
import { QUALITY } from './python-quality';
import { ADAM, flagsSection, LOOP, STATE_IO } from './python-training';
import { readmeText } from './readme';
import { exportFamilyOf } from './registry';
import { torchState } from './torch-layout';

export const EXPORT_FORMAT = 'generative-playground-pytorch';

export interface ExportInput {
  config: RunConfig;
  /** The run's state: its weights and Adam's moments at its step. */
  checkpoint: Checkpoint;
  /** One of the app's dataset files by name (`mnist-train-images.u8.gzip`): fetched in the page, read from disk in Node. */
  readDataFile(name: string): Promise<Uint8Array>;
  /** The dataset's evaluation classifier file by name (`mnist.classifier.json`), or undefined where there is none: train.py then computes no Frechet classifier distance. */
  readClassifierFile?(name: string): Promise<Uint8Array | undefined>;
}

/** Whether a model's runs can be exported yet. */
export function canExport(modelId: string): boolean {
  return exportFamilyOf(modelId) !== undefined;
}

/** train.py for a run: the shared sections around its family's model. */
export function trainScript(run: ExportRun, step: number): string {
  const family = exportFamilyOf(run.config.model);
  if (!family) throw new Error(`Runs of ${run.config.model} cannot be exported to PyTorch yet`);
  const spec = modelOf(run.config);
  const settings = settingsOf(spec, run.data).filter((setting) => setting.group !== 'view');
  const spread = run.data.kind === 'points' ? Number(run.values.spread ?? run.data.params.find((p) => p.key === 'spread')?.default ?? 0) : undefined;
  const runFacts = { model: run.config.model, dataset: run.config.dataset, step, link: encodeLink(run.config), values: Object.fromEntries(settings.map((s) => [s.key, run.values[s.key] ?? s.default])) };
  return [
    String.raw`#!/usr/bin/env python3
"""${spec.name} on ${run.data.name}, exported from Generative Playground at step ${step}.

Paper: ${spec.paper.authors}, "${spec.paper.title}" (${spec.paper.year}), ${spec.paper.url}

    python train.py --steps 1000                        # one CPU, or the GPU if there is one
    python train.py --device cuda --steps 1000          # one GPU
    torchrun --nproc_per_node 4 train.py --steps 1000   # 4 processes (GPUs, or CPU shares), DistributedDataParallel

It goes on from the browser's weights and Adam state (weights.npz; --fresh starts anew) and writes
JSON lines to out/logs.jsonl and its weights to out/weights.npz (the same format, so --weights
out/weights.npz goes on again). Needs torch and numpy only.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = ${JSON.stringify(runFacts)}
${datasetLiteral(run.data, spread)}
`,
    flagsSection(settings, run.values, family.layerKeys),
    dataSection(run.data),
    `\nDATA = ${run.data.kind === 'image' ? 'Images' : 'Points'}\n`,
    LAYERS,
    family.modelSection(run),
    ADAM,
    STATE_IO,
    QUALITY,
    LOOP,
  ].join('\n');
}

/** The run's facts that every part of the export reads. */
export function exportRun(config: RunConfig): ExportRun {
  return { config, data: datasetOf(config), values: modelValues(config) };
}

/** Every file of the project, by its path in the zip. */
export async function projectFiles(input: ExportInput): Promise<Record<string, Uint8Array>> {
  const run = exportRun(input.config);
  const family = exportFamilyOf(run.config.model);
  if (!family) throw new Error(`Runs of ${run.config.model} cannot be exported to PyTorch yet`);
  const arrays = checkpointArrays(input.checkpoint);
  const npz: Record<string, NamedArray> = {};
  const optimizers: Record<string, unknown> = {};
  for (const plan of family.optimizers(run)) {
    const state = torchState(plan, arrays);
    Object.assign(npz, state.weights);
    for (const [name, moment] of Object.entries(state.m)) npz[`adam.${plan.id}.m.${name}`] = moment;
    for (const [name, moment] of Object.entries(state.v)) npz[`adam.${plan.id}.v.${name}`] = moment;
    optimizers[plan.id] = {
      step: state.step,
      lr: run.values[plan.keys?.lr ?? 'lr'],
      beta1: plan.keys?.beta1 ? run.values[plan.keys.beta1] : 0.9,
      beta2: run.values.beta2 ?? 0.999,
      epsilon: 1e-7,
      parameters: plan.params.map((param) => param.name),
    };
  }
  for (const { key, name } of family.buffers?.(run) ?? []) {
    const array = arrays.get(key);
    if (!array) throw new Error(`The checkpoint has no ${key}: it does not match this model's layers`);
    npz[name] = array;
  }
  for (const { key, name } of family.numbers?.(run) ?? []) npz[name] = { shape: [], values: Float32Array.of(input.checkpoint.numbers[key] ?? 0) };
  const manifest = {
    format: EXPORT_FORMAT,
    version: 1,
    model: run.config.model,
    dataset: run.config.dataset,
    step: input.checkpoint.step,
    link: encodeLink(run.config),
    settings: run.values,
    optimizers,
    arrays: Object.fromEntries(Object.entries(npz).map(([name, array]) => [name, array.shape])),
  };
  const text = (value: string) => strToU8(value);
  const files: Record<string, Uint8Array> = {
    'train.py': text(trainScript(run, input.checkpoint.step)),
    'README.md': text(readmeText(run, input.checkpoint.step)),
    'weights.npz': npzBytes(npz),
    'manifest.json': text(`${JSON.stringify(manifest, null, 1)}\n`),
  };
  if (run.data.kind === 'image') {
    for (const split of ['train', 'test'] as Split[]) {
      for (const part of ['images', 'labels'] as const) {
        const name = datasetFileName(run.data.id, split, part);
        files[`data/${name}`] = await input.readDataFile(name);
      }
    }
  }
  if (run.data.kind === 'image' && input.readClassifierFile) {
    // classifierFileName's names (core/metrics/classifier.ts, which would bring TF.js along)
    const names = (['json', 'bin'] as const).map((part) => `${run.data.id}.classifier.${part}`);
    const parts = await Promise.all(names.map((name) => input.readClassifierFile!(name)));
    if (parts[0] && parts[1]) names.forEach((name, i) => (files[`classifiers/${name}`] = parts[i]!));
  }
  return files;
}

/** The project as one zip, in a folder named after the run. The dataset files are gzipped already: stored as they are. */
export async function exportZip(input: ExportInput, folder = `${input.config.model}-${input.config.dataset}-step-${input.checkpoint.step}`): Promise<Uint8Array> {
  const files = await projectFiles(input);
  return zipSync(Object.fromEntries(Object.entries(files).map(([path, bytes]) => [`${folder}/${path}`, [bytes, { level: path.startsWith('data/') || path.endsWith('.npz') ? 0 : 6 }]])));
}
