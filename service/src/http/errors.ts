import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HttpError, type FieldProblem, type Problem } from '#contracts/problem';

export { HttpError };

const WHERE: Record<string, string> = {
  body: 'body',
  params: 'path',
  querystring: 'query',
  headers: 'headers',
};

/** Names each invalid input by where it came from and its path, e.g. `body.contactEmail`. */
function fieldProblems(
  error: Parameters<typeof hasZodFastifySchemaValidationErrors>[0] & { validation: unknown[] },
  context: string,
): FieldProblem[] {
  return (error.validation as { instancePath: string; message?: string; params?: { keys?: string[] } }[]).map(
    (v) => {
      const path = v.instancePath.split('/').filter(Boolean);
      const keys = v.params?.keys;
      if (keys?.length === 1) path.push(keys[0]!);
      return { field: [WHERE[context] ?? context, ...path].join('.'), message: v.message ?? 'invalid' };
    },
  );
}

/** Every refusal leaves as application/problem+json; unexpected errors hide their detail. */
export function problemHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  let problem: Problem;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = fieldProblems(error, error.validationContext ?? 'body');
    problem = new HttpError(400, `Invalid ${errors.map((e) => e.field).join(', ')}`, errors).toProblem();
  } else if (error instanceof HttpError) {
    problem = error.toProblem();
  } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own refusals: malformed JSON, unsupported media type, body too large.
    problem = new HttpError(error.statusCode, error.message).toProblem();
  } else {
    request.log.error({ err: error }, 'unhandled error');
    problem = { type: 'about:blank', title: 'Internal Server Error', status: 500 };
  }
  return reply.code(problem.status).type('application/problem+json').send(problem);
}
