/**
 * Hyperparameter schemas. Each model declares its hyperparameters once, here-shaped: the
 * controls render from the schema, the URL codec parses and writes it, the command-line
 * runner reads `--set key=value` through it, and the value types are inferred from it.
 *
 * A general validator library would not carry what the controls need (ranges, steps,
 * help text, log scales), so this small module does both jobs.
 */

import type { DataKind } from '../datasets/catalog';
import { quote } from '../quote';

interface ParamBase<Key extends string> {
  key: Key;
  label: string;
  help: string;
  /** Changes apply to the running model without restarting training (the model's setParams). */
  live?: boolean;
  /** The kinds of data this setting applies to; absent: all. Elsewhere it is neither shown nor linked. */
  dataKinds?: readonly DataKind[];
  /** Only for datasets with labels (a class-conditional model); elsewhere neither shown nor linked. */
  needsLabels?: boolean;
  /** Folded under "More settings": useful, but not where a first-time user starts. */
  advanced?: boolean;
  /** Shown only while other settings have these values (the VAE's hidden widths with a dense architecture). Still linked. */
  shownWhen?: Readonly<Record<string, string>>;
  /** Where the page lists it: with the model's settings (the default), or with what the views show. */
  group?: 'view';
}

export interface NumberParam<Key extends string = string> extends ParamBase<Key> {
  kind: 'number';
  default: number;
  min: number;
  max: number;
  step: number;
  /** Log-scaled slider, for learning rates and the like. */
  logScale?: boolean;
  /** A default of its own for some kind of data (an EBM's Langevin step size on pixels and on points). */
  defaultFor?: Partial<Record<DataKind, number>>;
}

export interface IntParam<Key extends string = string> extends ParamBase<Key> {
  kind: 'int';
  default: number;
  /** A default of its own for some kind of data (a GAN's noise: 2 for points, 64 for images). */
  defaultFor?: Partial<Record<DataKind, number>>;
  min: number;
  max: number;
  step?: number;
  /** An index into the dataset's test split: the maximum becomes that split's last index. */
  range?: 'test-indices';
}

export interface ChoiceParam<Key extends string = string, Value extends string = string>
  extends ParamBase<Key> {
  kind: 'choice';
  default: Value;
  /** dataKinds: the kinds of data a choice makes sense for (a Bernoulli likelihood needs pixels in [0, 1]). */
  choices: readonly { value: Value; label: string; dataKinds?: readonly DataKind[] }[];
}

export interface IntListParam<Key extends string = string> extends ParamBase<Key> {
  kind: 'int-list';
  default: readonly number[];
  min: number;
  max: number;
  minLength: number;
  maxLength: number;
}

export type ParamSpec = NumberParam | IntParam | ChoiceParam | IntListParam;
export type ParamValue = number | string | readonly number[];
export type ParamSchema = readonly ParamSpec[];

type ValueOf<S> = S extends ChoiceParam<string, infer V>
  ? V
  : S extends IntListParam
    ? readonly number[]
    : number;

/** `{ bottleneck: number; hidden: readonly number[]; ... }` from a schema literal. */
export type ParamValues<S extends ParamSchema> = {
  [P in S[number] as P['key']]: ValueOf<P>;
};

/** What a schema needs to know of the dataset it is used with. */
export interface DataFacts {
  kind: DataKind;
  /** Examples in the test split. */
  testCount: number;
  /** Whether its examples have labels (a digit's class, a ring point's mode). */
  labelled: boolean;
}

/**
 * The schema as it applies to one dataset: settings for other kinds of data dropped,
 * choices for other kinds removed (the default moving to the first that remains), and
 * test-image indices bounded by the test split. Controls, links and the runner all read
 * this specialized schema, so a setting that does nothing is never offered.
 */
export function specializeSchema(schema: ParamSchema, data: DataFacts): ParamSpec[] {
  const applies = (kinds?: readonly DataKind[]) => !kinds || kinds.includes(data.kind);
  return schema
    .filter((spec) => applies(spec.dataKinds) && (!spec.needsLabels || data.labelled))
    .map((spec): ParamSpec => {
      if (spec.kind === 'choice') {
        const choices = spec.choices.filter((choice) => applies(choice.dataKinds));
        const fallback = choices.some((choice) => choice.value === spec.default) ? spec.default : choices[0].value;
        return { ...spec, choices, default: fallback };
      }
      if ((spec.kind === 'int' || spec.kind === 'number') && spec.defaultFor?.[data.kind] !== undefined) return { ...spec, default: spec.defaultFor[data.kind] as number };
      if (spec.kind === 'int' && spec.range === 'test-indices') {
        const max = Math.max(spec.min, data.testCount - 1);
        return { ...spec, max, default: Math.min(spec.default, max) };
      }
      return spec;
    });
}

/** Keeps the literal types of a schema declared inline. */
export function defineParams<const S extends ParamSchema>(schema: S): S {
  return schema;
}

export function defaultValues<S extends ParamSchema>(schema: S): ParamValues<S> {
  const values: Record<string, ParamValue> = {};
  for (const spec of schema) values[spec.key] = spec.default;
  return values as ParamValues<S>;
}

/** The outcome of reading one value from text: the value, or why it was refused. */
export type ParseResult = { ok: true; value: ParamValue } | { ok: false; reason: string };

const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return NUMBER_PATTERN.test(trimmed) ? Number(trimmed) : undefined;
}

function checkRange(spec: { min: number; max: number }, value: number): string | undefined {
  if (value < spec.min || value > spec.max) return `must be between ${spec.min} and ${spec.max}`;
  return undefined;
}

/** Reads a value typed by a person (URL, command line, text box). Never throws. */
export function parseParam(spec: ParamSpec, text: string): ParseResult {
  switch (spec.kind) {
    case 'number':
    case 'int': {
      const value = parseNumber(text);
      if (value === undefined || !Number.isFinite(value)) return { ok: false, reason: 'is not a number' };
      if (spec.kind === 'int' && !Number.isInteger(value)) return { ok: false, reason: 'must be a whole number' };
      const rangeError = checkRange(spec, value);
      return rangeError ? { ok: false, reason: rangeError } : { ok: true, value };
    }
    case 'choice': {
      const match = spec.choices.find((choice) => choice.value === text.trim());
      if (!match) return { ok: false, reason: `must be one of ${spec.choices.map((c) => c.value).join(', ')}` };
      return { ok: true, value: match.value };
    }
    case 'int-list': {
      const parts = text.split(',').map((part) => part.trim());
      if (parts.length < spec.minLength || parts.length > spec.maxLength || (parts.length === 1 && parts[0] === '')) {
        return { ok: false, reason: `must list ${spec.minLength} to ${spec.maxLength} whole numbers, comma-separated` };
      }
      const values: number[] = [];
      for (const part of parts) {
        if (part === '') return { ok: false, reason: 'has an empty entry between commas' };
        const value = parseNumber(part);
        if (value === undefined || !Number.isInteger(value)) return { ok: false, reason: `has ${quote(part, 12)}, which is not a whole number` };
        const rangeError = checkRange(spec, value);
        if (rangeError) return { ok: false, reason: `each entry ${rangeError}` };
        values.push(value);
      }
      return { ok: true, value: values };
    }
  }
}

/** Checks a value that is already typed (from a control or a stored config). */
export function validateParam(spec: ParamSpec, value: unknown): ParseResult {
  if (spec.kind === 'int-list') {
    if (!Array.isArray(value)) return { ok: false, reason: 'must be a list' };
    return parseParam(spec, value.join(','));
  }
  if (typeof value !== 'number' && typeof value !== 'string') return { ok: false, reason: 'has the wrong type' };
  return parseParam(spec, String(value));
}

/** The text form used in links and on the command line. */
export function formatParam(spec: ParamSpec, value: ParamValue): string {
  if (spec.kind === 'int-list') return (value as readonly number[]).join(',');
  return String(value);
}
