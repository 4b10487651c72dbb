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
