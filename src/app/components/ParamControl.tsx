/** One hyperparameter's control, rendered from its schema entry. */
import { useEffect, useId, useState } from 'react';
import { formatParam, parseParam, type ParamSpec, type ParamValue } from '../../core/params/schema';
import { quote } from '../../core/quote';

interface Props {
  spec: ParamSpec;
  value: ParamValue;
  onChange: (value: ParamValue) => void;
}

/** Slider position (0..1000) for a log-scaled parameter and back. */
const LOG_STEPS = 1000;
const toLogPosition = (spec: { min: number; max: number }, value: number) =>
  Math.round((Math.log(value / spec.min) / Math.log(spec.max / spec.min)) * LOG_STEPS);
const fromLogPosition = (spec: { min: number; max: number }, position: number) =>
  Number((spec.min * Math.pow(spec.max / spec.min, position / LOG_STEPS)).toPrecision(2));

export function ParamControl({ spec, value, onChange }: Props) {
  const id = useId();
  const helpId = `${id}-help`;
  const [text, setText] = useState(formatParam(spec, value));
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    setText(formatParam(spec, value));
    setProblem(undefined);
  }, [spec, value]);

  // Typed text is checked against the schema; a bad entry is named and the run keeps its value.
  const commit = (raw: string) => {
    const result = parseParam(spec, raw);
    if (!result.ok) {
      // The box goes back to the value in use; the message says what was refused.
      setProblem(`${spec.label} ${quote(raw)} ${result.reason}.`);
      setText(formatParam(spec, value));
      return;
    }
    setProblem(undefined);
    if (formatParam(spec, result.value) !== formatParam(spec, value)) onChange(result.value);
  };
  const textField = (
    <input
      id={id}
      className="param-text"
      type="text"
      inputMode={spec.kind === 'int-list' ? 'text' : 'decimal'}
      value={text}
      aria-describedby={helpId}
      aria-invalid={problem ? true : undefined}
      onChange={(event) => setText(event.target.value)}
      onBlur={(event) => commit(event.target.value)}
      onKeyDown={(event) => {
        if (event.key === 'Enter') commit((event.target as HTMLInputElement).value);
      }}
    />
  );

  let control;
  if (spec.kind === 'choice') {
    control = (
      <select id={id} value={String(value)} aria-describedby={helpId} onChange={(event) => onChange(event.target.value)}>
        {spec.choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    );
  } else if (spec.kind === 'int-list') {
    control = textField;
  } else {
    const numeric = Number(value);
    const slider =
      spec.kind === 'number' && spec.logScale ? (
        <input
          type="range"
          min={0}
          max={LOG_STEPS}
          value={toLogPosition(spec, numeric)}
          aria-label={`${spec.label} slider`}
          aria-valuetext={String(numeric)}
          onChange={(event) => onChange(fromLogPosition(spec, Number(event.target.value)))}
        />
      ) : spec.max - spec.min <= 1024 ? (
        <input
          type="range"
          min={spec.min}
          max={spec.max}
          step={spec.step ?? 1}
          value={numeric}
          aria-label={`${spec.label} slider`}
          onChange={(event) => onChange(Number(event.target.value))}
        />
      ) : null;
    control = (
      <div className="param-number">
        {slider}
        {textField}
      </div>
    );
  }

  return (
    <div className="param">
      <label htmlFor={id}>
        {spec.label}
        {spec.live && (
          <span className="live-badge" title="Takes effect at once, without restarting training">
            {' '}
            live
          </span>
        )}
      </label>
      {control}
      <p id={helpId} className="help">
        {spec.help}
      </p>
      {problem && (
        <p className="field-error" role="alert">
          {problem} Kept {formatParam(spec, value)}.
        </p>
      )}
    </div>
  );
}
