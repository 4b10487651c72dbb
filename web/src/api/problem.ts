import type { components } from './schema';

export type Problem = components['schemas']['Problem'];

/** Whether an error body is the API's problem+json (every refusal is). */
export function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Problem).status === 'number' &&
    typeof (value as Problem).title === 'string'
  );
}

/** The message for one input (`body.email`, `query.state`), to show beside that field. */
export function fieldError(problem: Problem | undefined, field: string): string | undefined {
  return problem?.errors?.find((e) => e.field === field)?.message;
}

/** What a screen shows when a call fails: the problem's detail, else its title. */
export function problemText(problem: Problem): string {
  return problem.detail ?? problem.title;
}
