import { Kysely, PostgresDialect } from 'kysely';
import * as z from 'zod';
import { problemSchema } from '#contracts/problem';
import { COOKIES } from '#contracts/resources';
import { routes, type RouteDef } from '#contracts/routes';
import { buildCoreService } from '#service/app';
import type { Database } from '#service/db/schema';

/** The subset of OpenAPI 3.0 this document is made of. */
type Json = Record<string, unknown>;
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: Json;
  readonly paths: Record<string, Record<string, Json>>;
  readonly components: Json;
  readonly security: Json[];
}

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: PROBLEM_REF } },
});
/** What any route may refuse with; a screen shows `errors[].message` beside the field `errors[].field` names. */
const REFUSALS = {
  '4XX': problemResponse('Refused: the problem names the offending fields'),
};

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Json;

/** zod spells `format: uuid` out as a long pattern too; the format says it, once. */
function withoutUuidPatterns(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUuidPatterns);
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(
    ([k]) => !(k === 'pattern' && (value as Json).format === 'uuid'),
  );
  return Object.fromEntries(entries.map(([k, v]) => [k, withoutUuidPatterns(v)]));
}

/** A zod object's properties as OpenAPI parameters of one location. */
function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const s = jsonSchema(schema, 'input') as {
    properties?: Record<string, Json>;
    required?: string[];
    anyOf?: { properties?: Record<string, Json>; required?: string[] }[];
  };
  // A union of query shapes (the OAuth callback's success or error) is described as its fields, none required.
  const shapes = s.anyOf ?? [s];
  const required = s.anyOf ? new Set<string>() : new Set(s.required ?? []);
  const seen = new Map<string, Json>();
  for (const shape of shapes)
    for (const [name, property] of Object.entries(shape.properties ?? {}))
      if (!seen.has(name)) seen.set(name, property);
  return [...seen].map(([name, property]) => {
    const { description, ...rest } = property as Json & { description?: string };
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function successResponses(route: RouteDef): Json {
  if (!route.responses) return { 200: { description: 'Done' } };
  return Object.fromEntries(
    Object.entries(route.responses).map(([status, schema]) => [
      status,
      schema
        ? { description: 'Done', content: { 'application/json': { schema: jsonSchema(schema, 'output') } } }
        : { description: status === '302' ? 'Redirect' : 'Done' },
    ]),
  );
}

/** One Lambda route's operation, from its entry in the route table. */
function lambdaOperation(name: string, route: RouteDef): Json {
  const parameters = [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')];
  const access =
    route.access === 'public'
      ? 'Anyone.'
      : route.access === 'signed-in'
        ? 'Anyone signed in.'
        : `Roles: ${route.access.join(', ')}.`;
  return {
    operationId: name,
    summary: route.summary,
    description: `${access}${route.feature ? ` Only when the ${route.feature} feature is on.` : ''}`,
    tags: [route.handler.split('/')[0]],
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses: { ...successResponses(route), ...REFUSALS },
    ...(route.access === 'public' ? { security: [] } : {}),
  };
}

/**
 * The core service's own document (its routes' zod schemas through @fastify/swagger). Building the service
 * needs a database handle, never a connection: nothing is queried.
 */
async function coreDocument(): Promise<OpenApiDocument> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: async () => unused() }) });
  const app = await buildCoreService({ db, verifyToken: async () => unused(), prepareDatabase: false });
  try {
    await app.ready();
    return app.swagger() as unknown as OpenApiDocument;
  } finally {
    await app.close();
    await db.destroy();
  }
}

function unused(): never {
  throw new Error('the OpenAPI document is built without a database or tokens');
}

/**
 * One OpenAPI document for the whole API: the Lambda route table and the core service, as one client sees them
 * behind API Gateway (and behind `npm start`). Generated from the same zod schemas that validate requests.
 */
export async function openApiDocument(): Promise<OpenApiDocument> {
  const core = await coreDocument();
  const paths: Record<string, Record<string, Json>> = {};
  for (const [path, operations] of Object.entries(core.paths)) {
    paths[path] = Object.fromEntries(
      Object.entries(operations).map(([method, op]) => [
        method,
        {
          ...op,
          operationId:
            op.operationId ??
            `${method}${path.replace(/[{}]/g, '').replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase())}`,
          responses: { ...(op.responses as Json), ...REFUSALS },
        },
      ]),
    );
  }
  for (const [name, route] of Object.entries(routes) as [string, RouteDef][]) {
    const method = route.method.toLowerCase();
    if (paths[route.path]?.[method])
      throw new Error(`${route.method} ${route.path} is both a Lambda and a core route`);
    paths[route.path] = { ...paths[route.path], [method]: lambdaOperation(name, route) };
  }
  const sorted = withoutUuidPatterns(
    Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
  ) as typeof paths;
  return {
    openapi: '3.0.3',
    info: {
      title: 'LMS platform API',
      version: '1',
      description:
        'Every route of the platform: the Lambda routes and the core service. Sign in through `/auth/login`; ' +
        `the session travels in the HttpOnly \`${COOKIES.access}\` cookie. Every refusal is problem+json.`,
    },
    paths: sorted,
    components: {
      ...core.components,
      schemas: { ...(core.components.schemas as Json), Problem: jsonSchema(problemSchema, 'output') },
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: COOKIES.access } },
    },
    security: [{ session: [] }],
  };
}
