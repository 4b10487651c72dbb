import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { leaveCompany } from '../companies/companies';
import type { RouteContext } from '../http/context';
import { myMemberships } from './memberships';
import { replayMembershipFactsAs } from './replay-facts';

const memberships = z.object({
  institution: z
    .object({ id: z.uuid(), name: z.string(), role: z.enum(['institution-manager', 'instructor']) })
    .nullable(),
  companies: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      role: z.enum(['company-manager', 'employee']),
      state: z.enum(['requested', 'approved', 'removed']),
    }),
  ),
});
const replayed = z.object({
  institutionMembers: z.number().int().describe('institution.member-set events recorded'),
  companyMembers: z.number().int().describe('company.member-set events recorded'),
});
const tags = ['memberships'];

export const membershipRoutes =
  (ctx: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/me/memberships',
      {
        schema: {
          summary: 'The institution and companies the caller belongs to, with their role',
          tags,
          response: { 200: memberships },
        },
      },
      async (req) => myMemberships(ctx.db, await ctx.identity(req)),
    );
    app.delete(
      '/me/memberships/companies/:companyId',
      {
        schema: {
          summary: 'Leave a company as its employee, or withdraw a request to join it',
          tags,
          params: z.strictObject({ companyId: z.uuid() }),
        },
      },
      async (req, reply) => {
        await leaveCompany(ctx.db, await ctx.caller(req), req.params.companyId);
        return reply.code(204).send();
      },
    );
    app.post(
      '/admin/membership-facts',
      {
        schema: {
          summary:
            'State every current membership again as member-set events, for consumers deployed after it was made (platform admins)',
          tags,
          response: { 202: replayed },
        },
      },
      // 202: the events are in the outbox; the relay publishes them and the consumers apply them after.
      async (req, reply) =>
        reply.code(202).send(await replayMembershipFactsAs(ctx.db, await ctx.caller(req))),
    );
  };
