import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ENV } from '#contracts/resources';
import { applyAccessFact, provisionFacts } from '#lambda/access/access';
import type { ApiEvent, ApiResult } from '#lambda/shared/http-handler';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { overrideEnv } from '../env';
import { apiEvent } from '../event-fixture';
import { createWorld, ddb, endpoint, NOW, type World } from '../live/live-fixture';

/*
 * The world of the board and notes tests: the live tests' world (an institution's accepted provision of a
 * course for a company, its enrolled learners and a crowd of them, another company's learner of the same
 * course, staff of this and of another institution), plus what boards and notes also need of the access
 * projection: each company's manager, and contents of the course (a video, a material) and of another course.
 * Handlers are the deployed modules, loaded after the environment names the test's tables.
 */

export interface BoardWorld extends World {
  readonly foreignCompanyId: string;
  readonly companyManager: string;
  readonly foreignCompanyManager: string;
  readonly videoId: string;
  readonly materialId: string;
  /** A video of another course of the institution. */
  readonly otherVideoId: string;
}

const fact = () => ({ eventId: randomUUID(), occurredAt: NOW.toISOString() });

export async function createBoardWorld(prefix: string, crowd = 0): Promise<BoardWorld> {
  const world = await createWorld(prefix, { crowd, attendeeCount: Math.max(30, crowd + 5) });
  const access = world.tables.access!;
  const foreign = await provisionFacts(ddb, access, world.foreignProvisionId);
  const w: BoardWorld = {
    ...world,
    foreignCompanyId: foreign!.companyId,
    companyManager: `company-manager-${randomUUID()}`,
    foreignCompanyManager: `foreign-company-manager-${randomUUID()}`,
    videoId: randomUUID(),
    materialId: randomUUID(),
    otherVideoId: randomUUID(),
  };
  for (const [companyId, userSub] of [
    [w.companyId, w.companyManager],
    [w.foreignCompanyId, w.foreignCompanyManager],
  ] as const) {
    await applyAccessFact(ddb, access, {
      type: 'company.member-set',
      detail: { ...fact(), companyId, userSub, role: 'company-manager' },
    });
  }
  for (const [contentId, courseId, kind] of [
    [w.videoId, w.courseId, 'video'],
    [w.materialId, w.courseId, 'material'],
    [w.otherVideoId, randomUUID(), 'video'],
  ] as const) {
    await applyAccessFact(ddb, access, {
      type: 'content.set',
      detail: { ...fact(), contentId, courseId, institutionId: w.institutionId, kind, state: 'active' },
    });
  }
  return w;
}

/** Points the handlers at the world's tables; returns the function that restores the environment. */
export const boardEnv = (world: World) =>
  overrideEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    [ENV.accessTable]: world.tables.access!,
    [ENV.boardTable]: world.tables.board!,
    [ENV.notesTable]: world.tables.notes!,
  });

export type Handler = (event: ApiEvent) => Promise<ApiResult>;

export async function loadHandlers(domain: string, names: readonly string[]) {
  const handlers: Record<string, Handler> = {};
  for (const name of names) {
    handlers[name] = (
      (await import(join(__dirname, `../../../lambda/${domain}/${name}`))) as { handler: Handler }
    ).handler;
  }
  return handlers;
}

export interface Request {
  readonly params?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly rawBody?: string;
  /** Beside the content-type every request has (an `idempotency-key`). */
  readonly headers?: Record<string, string>;
}

/** A request as API Gateway hands it to a route's function, from `sub` holding `roles`. */
export function requestOf(sub: string, roles: string, r: Request = {}): ApiEvent {
  return apiEvent({
    method: 'POST',
    path: '/',
    ...(r.params ? { pathParameters: r.params } : {}),
    ...(r.query ? { query: r.query } : {}),
    headers: { 'content-type': 'application/json', ...r.headers },
    ...(r.rawBody !== undefined
      ? { body: r.rawBody }
      : r.body !== undefined
        ? { body: JSON.stringify(r.body) }
        : {}),
    authorizer: { sub, email: `${sub}@corp.example.com`, roles },
  });
}

export const bodyOf = <T = Record<string, unknown>>(r: ApiResult) => JSON.parse(r.body || '{}') as T;
export const fieldsOf = (r: ApiResult) =>
  (bodyOf<{ errors?: { field: string }[] }>(r).errors ?? []).map((e) => e.field);
