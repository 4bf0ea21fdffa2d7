import { describe, expect, it } from 'vitest';
import { decodeLink } from '../../src/core/url-codec';
import { didYouMean, nearest, quote, QUOTE_LIMIT } from '../../src/core/quote';

describe('quote', () => {
  it('echoes a short value as it is, in quotes', () => {
    expect(quote('vea')).toBe('"vea"');
    expect(quote(42)).toBe('"42"');
  });

  it('cuts a long value, and turns controls, bidirectional overrides and other scripts into "?"', () => {
    const hostile = `\u202eSign in at https://evil.example/login\u0000\u0007 ${'a'.repeat(3000)}`;
    const echoed = quote(hostile);
    expect(echoed.length).toBeLessThanOrEqual(QUOTE_LIMIT + 3);
    expect(echoed).toMatch(/^"[\x20-\x7e]*…"$/);
    expect(echoed.startsWith('"?Sign in at')).toBe(true);
    expect(quote('Ünïcödé')).toBe('"?n?c?d?"');
  });

  it('a hostile link gets short, quoted, printable warnings only', () => {
    const long = encodeURIComponent(`\u202e${'x'.repeat(3000)}\u0000`);
    const { warnings } = decodeLink(`#model=ae&hidden=${long}&${long}=1&dataset=${long}`);
    expect(warnings.length).toBeGreaterThan(2);
    for (const warning of warnings) {
      expect(warning.length).toBeLessThan(160);
      expect(warning).toMatch(/^[\x20-\x7e…]*$/);
    }
  });
});

describe('suggestions for a mistyped id', () => {
  it('names the id one edit away (two for long ids), and nothing for a wild guess', () => {
    expect(nearest('vea', ['ae', 'conv-ae', 'dae', 'vae'])).toBe('vae');
    expect(nearest('mnsit', ['mnist', 'fashion-mnist'])).toBe('mnist');
    expect(nearest('fashion-mnst', ['mnist', 'fashion-mnist'])).toBe('fashion-mnist');
    expect(nearest('gan', ['ae', 'conv-ae', 'dae', 'vae'])).toBeUndefined();
    expect(didYouMean('VAE ', ['vae'])).toBe(' (did you mean vae?)');
    expect(didYouMean('vae', ['vae'])).toBe('');
    expect(decodeLink('#model=vea').warnings).toEqual(['Unknown model "vea" (did you mean vae?); using the default model.']);
  });
});
