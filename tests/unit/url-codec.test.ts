import { describe, expect, it } from 'vitest';
import { defaultConfig, paramsFor, type RunConfig } from '../../src/core/config';
import { AUTOENCODER_PARAMS } from '../../src/core/models/autoencoders/ae-spec';
import { formatParam, parseParam, validateParam, type ParamSpec } from '../../src/core/params/schema';
import { decodeLink, encodeLink } from '../../src/core/url-codec';

const DEFAULT_LINK =
  'model=ae&dataset=mnist&backend=auto&lr=0.001&batch=64&seed=1&bottleneck=2&hidden=256,64&activation=relu&recon=mse&from=3&to=2';

function spec(key: string): ParamSpec {
  const found = paramsFor('ae').find((candidate) => candidate.key === key);
  if (!found) throw new Error(`no spec ${key}`);
  return found;
}

/** The quoted text a warning echoes back, e.g. `Unknown model "gan"; ...` -> ['gan']. */
function echoed(warning: string): string[] {
  return [...warning.matchAll(/"([^"]*)"/g)].map((match) => match[1]);
}

/** decodeLink must never throw: return what it gives, failing the test if it throws. */
function decode(hash: string) {
  let result: ReturnType<typeof decodeLink> | undefined;
  expect(() => (result = decodeLink(hash))).not.toThrow();
  return result!;
}

describe('encodeLink / decodeLink round trip', () => {
  it('encodes the default config as a readable link, in schema order', () => {
    expect(encodeLink(defaultConfig('ae'))).toBe(DEFAULT_LINK);
  });

  it('gives back the default config with no warnings', () => {
    const link = encodeLink(defaultConfig());
    expect(decode(link)).toEqual({ config: defaultConfig(), warnings: [] });
    expect(decode(`#${link}`)).toEqual({ config: defaultConfig(), warnings: [] });
  });

  it('gives back a config with every value changed, and keeps commas readable', () => {
    const config: RunConfig = {
      model: 'ae',
      dataset: 'fashion-mnist',
      backend: 'wasm',
      values: { lr: 0.0003, batch: 32, seed: 12345, bottleneck: 8, hidden: [128, 32], activation: 'tanh', recon: 'bce', from: 17, to: 9000 },
    };
    const link = encodeLink(config);
    expect(link).toBe(
      'model=ae&dataset=fashion-mnist&backend=wasm&lr=0.0003&batch=32&seed=12345&bottleneck=8&hidden=128,32&activation=tanh&recon=bce&from=17&to=9000',
    );
    expect(link).not.toMatch(/%2C/i);
    const decoded = decode(`#${link}`);
    expect(decoded.warnings).toEqual([]);
    expect(decoded.config).toEqual(config);
  });

  it('round-trips a learning rate with full double precision', () => {
    const config = defaultConfig();
    config.values.lr = 0.1 / 3;
    expect(decode(encodeLink(config)).config.values.lr).toBe(0.1 / 3);
  });

  it('reads a partial link: missing keys take their defaults without warnings', () => {
    const { config, warnings } = decode('#batch=8&hidden=32');
    expect(warnings).toEqual([]);
    expect(config).toEqual({ ...defaultConfig(), values: { ...defaultConfig().values, batch: 8, hidden: [32] } });
    expect(decode('').config).toEqual(defaultConfig());
    expect(decode('#').warnings).toEqual([]);
  });
});

describe('decodeLink on malformed links', () => {
  const defaults = defaultConfig().values;

  /** Decodes the bad part beside valid ones: the valid recon=bce and dataset=fashion-mnist are kept. */
  function decodeWithValidPart(bad: string) {
    const result = decode(`#${bad}&recon=bce&dataset=fashion-mnist`);
    expect(result.config.values.recon).toBe('bce');
    expect(result.config.dataset).toBe('fashion-mnist');
    return result;
  }

  it.each([
    ['lr=5', 'lr', 'Learning rate "5" must be between 0.00001 and 0.1; kept the default, 0.001.'],
    ['bottleneck=0', 'bottleneck', 'Bottleneck size "0" must be between 1 and 64; kept the default, 2.'],
    ['batch=abc', 'batch', 'Batch size "abc" is not a number; kept the default, 64.'],
    ['batch=1e400', 'batch', 'Batch size "1e400" is not a number; kept the default, 64.'],
    ['batch=12.5', 'batch', 'Batch size "12.5" must be a whole number; kept the default, 64.'],
    ['seed=-1', 'seed', 'Seed "-1" must be between 0 and 2147483647; kept the default, 1.'],
    ['hidden=', 'hidden', 'Hidden widths "" must list 1 to 4 whole numbers, comma-separated; kept the default, 256,64.'],
    ['hidden=1,2,3,4,5', 'hidden', 'Hidden widths "1,2,3,4,5" must list 1 to 4 whole numbers, comma-separated; kept the default, 256,64.'],
    ['hidden=a,b', 'hidden', 'Hidden widths "a,b" has "a", which is not a whole number; kept the default, 256,64.'],
    ['hidden=256,,64', 'hidden', 'Hidden widths "256,,64" has an empty entry between commas; kept the default, 256,64.'],
    ['hidden=32,2', 'hidden', 'Hidden widths "32,2" each entry must be between 4 and 1024; kept the default, 256,64.'],
    ['activation=sigmoid', 'activation', 'Activation "sigmoid" must be one of relu, elu, tanh; kept the default, relu.'],
  ])('%s: falls back to the default with a warning', (bad, key, warning) => {
    const { config, warnings } = decodeWithValidPart(bad);
    expect(config.values[key]).toEqual(defaults[key]);
    expect(warnings).toEqual([warning]);
  });

  it('ignores unknown keys and names them', () => {
    const { config, warnings } = decodeWithValidPart('foo=1');
    expect(config.values).toEqual({ ...defaults, recon: 'bce' });
    expect(config.values).not.toHaveProperty('foo');
    expect(warnings).toEqual(['Ignored unknown setting "foo".']);
  });

  it('falls back for an unknown model, dataset or backend', () => {
    const { config, warnings } = decode('#model=stylegan&dataset=cifar10&backend=cuda&batch=8');
    expect(config).toEqual({ ...defaultConfig(), values: { ...defaults, batch: 8 } });
    expect(warnings).toEqual([
      'Unknown model "stylegan"; using the default model.',
      'Unknown dataset "cifar10"; using mnist.',
      'Unknown backend "cuda"; choosing automatically.',
    ]);
  });

  it('reports broken percent-encoding and keeps the rest', () => {
    const { config, warnings } = decodeWithValidPart('batch=%E0%A4%A');
    expect(config.values.batch).toBe(64);
    expect(warnings).toEqual(['Ignored "batch=%E0%A4%A": not a key=value pair.']);
    // a broken key, too
    expect(decode('%E0%A4%A=3').warnings).toEqual(['Ignored "%E0%A4%A=3": not a key=value pair.']);
  });

  it('reports a bare key without "="', () => {
    const { config, warnings } = decodeWithValidPart('batch');
    expect(config.values.batch).toBe(64);
    expect(warnings).toEqual(['Ignored "batch": not a key=value pair.']);
  });

  it('uses the last of duplicate keys and says so', () => {
    const { config, warnings } = decodeWithValidPart('batch=8&batch=16');
    expect(config.values.batch).toBe(16);
    expect(warnings).toEqual(['"batch" was given twice; the last value was used.']);
  });

  it('percent-decodes values, with + as a space', () => {
    const { config, warnings } = decode('#hidden=32%2C16&lr=+0.01');
    expect(warnings).toEqual([]);
    expect(config.values.hidden).toEqual([32, 16]);
    expect(config.values.lr).toBe(0.01);
  });

  it('treats prototype names as plain unknown keys', () => {
    const { config, warnings } = decode('#__proto__=1&constructor=2&toString=3');
    expect(config).toEqual(defaultConfig());
    expect(warnings).toEqual([
      'Ignored unknown setting "__proto__".',
      'Ignored unknown setting "constructor".',
      'Ignored unknown setting "toString".',
    ]);
    expect(({} as Record<string, unknown>).toString).toBe(Object.prototype.toString);
  });

  it('keeps <script> and <img onerror> payloads out of the config and echoes at most 40 characters', () => {
    const script = '<script>alert(document.cookie)</script>'; // 39 characters: echoed whole
    const img = '<img src=x onerror=alert(document.cookie)>'; // 42 characters: truncated
    const { config, warnings } = decode(`#dataset=${encodeURIComponent(script)}&model=${encodeURIComponent(img)}&batch=8`);
    expect(config).toEqual({ ...defaultConfig(), values: { ...defaults, batch: 8 } });
    expect(warnings).toEqual([
      'Unknown model "<img src=x onerror=alert(document.cookie…"; using the default model.',
      'Unknown dataset "<script>alert(document.cookie)</script>"; using mnist.',
    ]);
    // raw (unencoded) payloads, as a person might paste them
    const raw = decode('#hidden=<img src=x onerror=alert(1)>&lr=0.01');
    expect(raw.config.values.hidden).toEqual([256, 64]);
    expect(raw.config.values.lr).toBe(0.01);
    expect(raw.warnings).toEqual([
      'Hidden widths "<img src=x onerror=alert(1)>" has "<img src=x o…", which is not a whole number; kept the default, 256,64.',
    ]);
  });

  it('truncates a long hostile value to 40 characters plus an ellipsis', () => {
    const hostile = `<img src=x onerror=alert(1)>${'A'.repeat(500)}`;
    const { config, warnings } = decode(`#batch=${encodeURIComponent(hostile)}`);
    expect(config.values.batch).toBe(64);
    expect(warnings).toHaveLength(1);
    const [value] = echoed(warnings[0]);
    expect(value).toBe(`${hostile.slice(0, 40)}…`);
    expect(value.length).toBe(41);
    // the whole warning stays short however long the value was
    expect(warnings[0].length).toBeLessThan(120);
  });

  it('replaces non-printable and non-ASCII characters in echoed text with "?"', () => {
    // NUL, newline, a right-to-left override, a full-width '<' (U+FF1C) and an emoji
    const hostile = 'a\u0000b\nc\u202Ed\uFF1Cscript\uFF1E\u{1F600}';
    const { warnings } = decode(`#backend=${encodeURIComponent(hostile)}`);
    expect(warnings).toHaveLength(1);
    const [value] = echoed(warnings[0]);
    expect(value).toBe('a?b?c?d?script???'); // the emoji is two UTF-16 units
    expect(warnings[0]).toMatch(/^[\x20-\x7e…]*$/);
    expect(warnings[0]).not.toContain('<');
  });

  it('reads only the first 4000 characters of a 100 kB hash', () => {
    const hash = `#batch=8&hidden=32,16&${'x'.repeat(100_000)}`;
    expect(hash.length).toBeGreaterThan(100_000);
    const started = performance.now();
    const { config, warnings } = decode(hash);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(config.values.batch).toBe(8);
    expect(config.values.hidden).toEqual([32, 16]);
    expect(warnings).toEqual([
      'The link was too long; only its first 4000 characters were read.',
      `Ignored "${'x'.repeat(40)}…": not a key=value pair.`,
    ]);
  });

  it('keeps every warning short on a long mixed hostile link', () => {
    const junk = ['%E0%A4%A', '=', '==', '&&&', `${'k'.repeat(300)}=${'v'.repeat(300)}`, `lr=${'9'.repeat(300)}`, 'model=\u0000'];
    const { config, warnings } = decode(`#${junk.join('&')}&seed=7`);
    expect(config.values.seed).toBe(7);
    expect(config.values.lr).toBe(0.001);
    expect(config.model).toBe('ae');
    expect(warnings.length).toBeGreaterThanOrEqual(4);
    for (const warning of warnings) for (const value of echoed(warning)) expect(value.length).toBeLessThanOrEqual(41);
  });
});

describe('parseParam', () => {
  const lr = spec('lr');
  const batch = spec('batch');
  const hidden = spec('hidden');
  const activation = spec('activation');

  it('reads numbers in plain and exponent notation, trimming spaces', () => {
    expect(parseParam(lr, '0.01')).toEqual({ ok: true, value: 0.01 });
    expect(parseParam(lr, ' 1e-3 ')).toEqual({ ok: true, value: 0.001 });
    expect(parseParam(lr, '.05')).toEqual({ ok: true, value: 0.05 });
    expect(parseParam(batch, '+32')).toEqual({ ok: true, value: 32 });
    expect(parseParam(batch, '32.0')).toEqual({ ok: true, value: 32 });
  });

  it.each(['', ' ', 'abc', 'NaN', 'Infinity', '-Infinity', '0x10', '1e400', '1,5', '5px', '1e'])('refuses %j as a number', (text) => {
    expect(parseParam(lr, text)).toEqual({ ok: false, reason: 'is not a number' });
  });

  it('checks ranges and whole numbers', () => {
    expect(parseParam(lr, '0.2')).toEqual({ ok: false, reason: 'must be between 0.00001 and 0.1' });
    expect(parseParam(lr, '0.000001')).toEqual({ ok: false, reason: 'must be between 0.00001 and 0.1' });
    expect(parseParam(lr, '0.1')).toEqual({ ok: true, value: 0.1 });
    expect(parseParam(batch, '513')).toEqual({ ok: false, reason: 'must be between 1 and 512' });
    expect(parseParam(batch, '1')).toEqual({ ok: true, value: 1 });
    expect(parseParam(batch, '2.5')).toEqual({ ok: false, reason: 'must be a whole number' });
  });

  it('reads int lists', () => {
    expect(parseParam(hidden, '128,32')).toEqual({ ok: true, value: [128, 32] });
    expect(parseParam(hidden, ' 64 , 16 ,8')).toEqual({ ok: true, value: [64, 16, 8] });
    expect(parseParam(hidden, '4,1024,4,1024')).toEqual({ ok: true, value: [4, 1024, 4, 1024] });
    expect(parseParam(hidden, '32,,16')).toEqual({ ok: false, reason: 'has an empty entry between commas' });
    expect(parseParam(hidden, '32,1.5')).toEqual({ ok: false, reason: 'has "1.5", which is not a whole number' });
    expect(parseParam(hidden, '2048')).toEqual({ ok: false, reason: 'each entry must be between 4 and 1024' });
    expect(parseParam(hidden, '')).toEqual({ ok: false, reason: 'must list 1 to 4 whole numbers, comma-separated' });
    expect(parseParam(hidden, '8,8,8,8,8')).toEqual({ ok: false, reason: 'must list 1 to 4 whole numbers, comma-separated' });
  });

  it('reads choices exactly (after trimming)', () => {
    expect(parseParam(activation, ' elu ')).toEqual({ ok: true, value: 'elu' });
    expect(parseParam(activation, 'ELU')).toEqual({ ok: false, reason: 'must be one of relu, elu, tanh' });
    expect(parseParam(activation, '')).toEqual({ ok: false, reason: 'must be one of relu, elu, tanh' });
  });

  it('accepts every default of every schema', () => {
    for (const candidate of [...paramsFor('ae'), ...AUTOENCODER_PARAMS]) {
      expect(parseParam(candidate, formatParam(candidate, candidate.default))).toEqual({ ok: true, value: candidate.default });
    }
  });
});

describe('validateParam', () => {
  it('accepts typed values in range', () => {
    expect(validateParam(spec('lr'), 0.003)).toEqual({ ok: true, value: 0.003 });
    expect(validateParam(spec('hidden'), [16])).toEqual({ ok: true, value: [16] });
    expect(validateParam(spec('recon'), 'bce')).toEqual({ ok: true, value: 'bce' });
  });

  it('refuses wrong types and values out of range', () => {
    expect(validateParam(spec('lr'), null)).toEqual({ ok: false, reason: 'has the wrong type' });
    expect(validateParam(spec('lr'), undefined)).toEqual({ ok: false, reason: 'has the wrong type' });
    expect(validateParam(spec('lr'), { valueOf: () => 0.01 })).toEqual({ ok: false, reason: 'has the wrong type' });
    expect(validateParam(spec('lr'), Number.NaN)).toEqual({ ok: false, reason: 'is not a number' });
    expect(validateParam(spec('lr'), 1e-7)).toEqual({ ok: false, reason: 'must be between 0.00001 and 0.1' });
    expect(validateParam(spec('batch'), 0)).toEqual({ ok: false, reason: 'must be between 1 and 512' });
    expect(validateParam(spec('hidden'), '32,16')).toEqual({ ok: false, reason: 'must be a list' });
    expect(validateParam(spec('hidden'), [])).toEqual({ ok: false, reason: 'must list 1 to 4 whole numbers, comma-separated' });
    expect(validateParam(spec('hidden'), [32, 2])).toEqual({ ok: false, reason: 'each entry must be between 4 and 1024' });
    expect(validateParam(spec('activation'), 3)).toEqual({ ok: false, reason: 'must be one of relu, elu, tanh' });
  });
});

describe('formatParam', () => {
  it('writes the text form used in links', () => {
    expect(formatParam(spec('hidden'), [256, 64])).toBe('256,64');
    expect(formatParam(spec('hidden'), [8])).toBe('8');
    expect(formatParam(spec('lr'), 0.00001)).toBe('0.00001');
    expect(formatParam(spec('lr'), 0.0003)).toBe('0.0003');
    expect(formatParam(spec('seed'), 2147483647)).toBe('2147483647');
    expect(formatParam(spec('activation'), 'tanh')).toBe('tanh');
  });
});

describe('a link with thousands of problems', () => {
  it('lists the first ten warnings and counts the rest', () => {
    const { config, warnings } = decodeLink('#' + 'a&'.repeat(50000) + 'bottleneck=5');
    expect(warnings).toHaveLength(11);
    expect(warnings[0]).toBe('The link was too long; only its first 4000 characters were read.');
    expect(warnings.slice(1, 10).every((warning) => warning === 'Ignored "a": not a key=value pair.')).toBe(true);
    // 4000 characters are read: the too-long notice and 2000 bare keys, of which 10 are listed.
    expect(warnings[10]).toBe('…and 1991 more problems in the link.');
    expect(config.values.bottleneck).toBe(2);
  });
});
