import type { FieldProblem } from '#contracts/problem';

/*
 * Refusals in a domain's own words, which the HTTP wrapper maps to statuses: domain code says what is wrong
 * (no such thing, not yours, changed meanwhile) and never an HTTP status, so it reads the same when called
 * from an event handler or a test.
 */

export type RefusalKind =
  /** Well formed by the schemas, yet meaningless here (a cursor another listing gave out): 400. */
  | 'invalid'
  /** Does not exist, or the caller may not know that it does: 404. */
  | 'not-found'
  /** Exists and the caller knows it, but this is not theirs to do: 403. */
  | 'not-allowed'
  /** The request is well formed but contradicts the state it found (an edit of a deleted thing): 409. */
  | 'conflict'
  /** Well formed, yet names something unfit for it (a material where a video is needed): 422. */
  | 'unfit';

export class Refused extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    /** The request fields at fault, named as the validation names them (`body.videoAt.contentId`). */
    readonly fields: readonly FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'Refused';
  }
}

export const REFUSAL_STATUS: Readonly<Record<RefusalKind, number>> = {
  invalid: 400,
  'not-found': 404,
  'not-allowed': 403,
  conflict: 409,
  unfit: 422,
};

export const invalid = (message: string, field: FieldProblem) => new Refused('invalid', message, [field]);
export const notFound = (message: string, field?: FieldProblem) =>
  new Refused('not-found', message, field ? [field] : []);
export const notAllowed = (message: string) => new Refused('not-allowed', message);
export const conflict = (message: string, field?: FieldProblem) =>
  new Refused('conflict', message, field ? [field] : []);
export const unfit = (message: string, field: FieldProblem) => new Refused('unfit', message, [field]);
