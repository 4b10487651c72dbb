import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HttpError, internalProblem, type FieldProblem, type Problem } from '#contracts/problem';
import { isDatabaseUnavailable } from '../db/errors';

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

/** A database failover takes RDS about a minute; a few seconds spreads the retries of many clients. */
const RETRY_AFTER_SECONDS = 5;

/** The framework's refusals of input, by error code: the part of the request at fault, and why. */
const FRAMEWORK_REFUSALS: Record<string, { field: string; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { field: 'body', detail: 'The body is larger than this server accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    field: 'headers.content-type',
    detail: 'Send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    field: 'headers.content-length',
    detail: 'The content-length does not match the body',
  },
  FST_ERR_MAX_PARAM_LENGTH: { field: 'path', detail: 'A path parameter is longer than the service reads' },
  FST_ERR_BAD_URL: { field: 'path', detail: 'The path is not validly percent-encoded' },
};

/** Every refusal leaves as application/problem+json with the request's id; unexpected errors hide their detail. */
export function problemHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  let problem: Problem;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = fieldProblems(error, error.validationContext ?? 'body');
    problem = new HttpError(400, `Invalid ${errors.map((e) => e.field).join(', ')}`, errors).toProblem(
      request.id,
    );
  } else if (error instanceof HttpError) {
    problem = error.toProblem(request.id);
  } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own refusals (body too large, unsupported media type, a bad URL), named like any other.
    const known = FRAMEWORK_REFUSALS[error.code];
    problem = new HttpError(
      error.statusCode,
      known?.detail ?? error.message,
      known ? [{ field: known.field, message: known.detail }] : undefined,
    ).toProblem(request.id);
  } else if (isDatabaseUnavailable(error)) {
    // An outage, not a bug: the client may try again, and the log says which request met it.
    request.log.warn({ err: error }, 'database unavailable');
    reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    problem = new HttpError(503, 'The database is unavailable; try again shortly').toProblem(request.id);
  } else {
    // The logger's child carries the request id: this line is what the answer's requestId points to.
    request.log.error({ err: error }, 'unhandled error');
    problem = internalProblem(request.id);
  }
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/** Node's refusals before any request exists, by the parser's error code. */
const CLIENT_ERRORS: Record<string, 408 | 431> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
};

/**
 * Node's HTTP parser refuses a request it cannot read (headers or request line too large, malformed syntax)
 * before the framework sees it; this writes its answer as problem+json, as Node's own answer would be
 * written, and closes the connection, whose stream can no longer be trusted.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = CLIENT_ERRORS[error.code ?? ''] ?? 400;
  const body = JSON.stringify(
    new HttpError(
      status,
      status === 431 ? 'The request line and headers are too large' : 'The request is malformed',
    ).toProblem(),
  );
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
