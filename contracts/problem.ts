import * as z from 'zod';

/** One offending input field, named by its path (`body.email`, `query.state`). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** An RFC 9457 problem details body. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly FieldProblem[];
  /** The request's id, as in the server's log lines: what a screen shows so support can find the request. */
  readonly requestId?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Thrown by domain code for an expected refusal; the handler wrapper turns it into problem+json. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors?: readonly FieldProblem[],
  ) {
    super(detail);
    this.name = 'HttpError';
  }

  toProblem(requestId?: string): Problem {
    return {
      type: 'about:blank',
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.detail,
      ...(this.errors ? { errors: this.errors } : {}),
      ...(requestId ? { requestId } : {}),
    };
  }
}

/** What a server answers for a failure of its own: no detail of it leaves, only the id to find it by. */
export function internalProblem(requestId?: string): Problem {
  return {
    type: 'about:blank',
    title: 'Internal Server Error',
    status: 500,
    ...(requestId ? { requestId } : {}),
  };
}

/**
 * A union's issue sits on the union's own path (for a query, the whole query) and holds what each of its
 * branches refused: those name the fields a client can fix, so they stand in for it. A union refused before
 * any branch was tried (an unknown discriminator) keeps its own issue, which names the discriminator.
 */
function fieldIssues(
  issues: readonly z.core.$ZodIssue[],
  under: readonly PropertyKey[] = [],
): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    const path = [...under, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0)
      return issue.errors.flatMap((branch) => fieldIssues(branch, path));
    return [{ ...issue, path }];
  });
}

/** Names each zod issue by its full path under `where` (body, query, path), each field and reason once. */
export function fieldProblems(where: string, error: z.ZodError): FieldProblem[] {
  const problems = fieldIssues(error.issues).map((issue) => {
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [where, ...issue.path.map(String)].join('.');
    return {
      field: unknownKeys.length === 1 ? `${path}.${unknownKeys[0]}` : path,
      message: issue.message,
    };
  });
  return problems.filter(
    (p, i) => problems.findIndex((q) => q.field === p.field && q.message === p.message) === i,
  );
}

export function validationError(where: string, error: z.ZodError): HttpError {
  const errors = fieldProblems(where, error);
  return new HttpError(400, `Invalid ${errors.map((e) => e.field).join(', ')}`, errors);
}

/** Parses one part of a request (`body`, `query`, `path`), refusing it with 400 naming each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, where: string, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

/** The problem+json body as a schema, for the OpenAPI document: what every screen reads a refusal from. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z
      .array(
        z.object({
          field: z.string().describe('the input’s path: body.email, query.state, path.courseId'),
          message: z.string(),
        }),
      )
      .optional(),
    requestId: z.string().optional(),
  })
  .describe('RFC 9457 problem details');
