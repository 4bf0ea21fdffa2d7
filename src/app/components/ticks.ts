/** Round tick values (1, 2 or 5 x 10^k apart) and short labels for them, for every axis on the page's plots. */

/** A 1, 2 or 5 x 10^k step giving about `count` ticks over `span`. */
export function niceStep(span: number, count = 5): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * power;
}

/** The multiples of `step` in [min, max], free of floating-point dust (0.30000000000000004). */
export function ticks(min: number, max: number, step: number): number[] {
  const values: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9 && values.length < 50; k++) {
    values.push(Number((k * step).toPrecision(12)));
  }
  return values;
}

/**
 * A short tick label (long ones collide): as many decimals as the step needs, k and M for
 * thousands and millions, powers of ten beyond, and a true minus sign.
 */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const fixed = (v: number, s: number) => v.toFixed(Math.max(0, -Math.floor(Math.log10(s) + 1e-9)));
  const text =
    step >= 1e9 || step < 1e-3
      ? Number(value.toPrecision(3)).toExponential()
      : step >= 1e6
        ? `${fixed(value / 1e6, step / 1e6)}M`
        : step >= 1e3
          ? `${fixed(value / 1e3, step / 1e3)}k`
          : fixed(value, step);
  return text.replace('e+', 'e').replace(/-/g, '\u2212');
}
