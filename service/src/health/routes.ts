import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import * as z from 'zod';
import { CORE_SERVICE } from '#contracts/resources';
import type { Database } from '../db/schema';
import { databaseCheck, type HealthCheckOptions } from './health';

const tags = ['health'];
const health = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({ database: z.enum(['ok', 'unreachable']) }),
});

/**
 * Two questions, two paths. `/health` is the platform's health as a client or an uptime monitor sees it
 * (the API routes it here): 503 and `degraded` while the database cannot be reached. `/health/live` is the
 * load balancer's: whether this process serves. It never asks the database, or a database outage would get
 * every task replaced, and the service must come back by itself when the database does.
 */
export const healthRoutes =
  (db: Kysely<Database>, options: HealthCheckOptions = {}): FastifyPluginAsyncZod =>
  async (app) => {
    const database = databaseCheck(db, options);
    app.get(
      CORE_SERVICE.healthPath,
      {
        schema: {
          summary: 'The platform’s health: 200 when it can serve, 503 while its database is unreachable',
          tags,
          response: { 200: health, 503: health },
        },
      },
      async (_req, reply) => {
        const state = await database();
        return reply
          .code(state === 'ok' ? 200 : 503)
          .header('cache-control', 'no-store')
          .send({ status: state === 'ok' ? 'ok' : 'degraded', checks: { database: state } });
      },
    );
    app.get(CORE_SERVICE.livenessPath, { schema: { hide: true } }, async () => ({ status: 'ok' }));
  };
