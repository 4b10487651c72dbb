import { problemText, type Problem } from '../api/problem';

/** A refusal the screen cannot put beside a field: its detail, and the request id support can look up. */
export function ProblemAlert({ problem }: { problem: Problem | undefined }) {
  if (!problem) return null;
  return (
    <p role="alert" className="problem">
      {problemText(problem)}
      {problem.requestId ? <small> ({problem.requestId})</small> : null}
    </p>
  );
}

/** An input's own message from the problem (`errors[].field`), tied to the input by `aria-describedby`. */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <span id={id} className="field-error">
      {message}
    </span>
  ) : null;
}

/**
 * The attributes that tie an input to its message (`<id>-error`, see FieldError) and, with `hint`, to the hint
 * beside it (`<id>-hint`): screen readers read both, and an invalid input says so.
 */
export function fieldProps(id: string, error: string | false | undefined, hint = false) {
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy || undefined };
}
