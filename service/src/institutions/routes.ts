import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import { patchOf, phone, text } from '../http/schemas';
import { businessNumber } from '../shared/business-number';
import {
  getInstitution,
  getPublicProfile,
  inviteInstructor,
  listInstitutions,
  listMembers,
  putInstitutionManager,
  putMember,
  registerInstitution,
  removeInstitutionManager,
  removeMember,
  updateInstitution,
} from './institutions';

const institutionInput = z.strictObject({
  name: text(200),
  ownerName: text(100),
  businessNumber,
  certificationNumber: text(50),
  contactEmail: z.email().max(254),
  contactPhone: phone,
});

const institution = z.object({
  id: z.uuid(),
  name: z.string(),
  ownerName: z.string(),
  businessNumber: z.string(),
  certificationNumber: z.string(),
  contactEmail: z.string(),
  contactPhone: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
const publicProfile = z.object({
  id: z.uuid(),
  name: z.string(),
  certificationNumber: z.string(),
  contactEmail: z.string(),
  contactPhone: z.string(),
  publishedCourseCount: z.number().int(),
});
const institutionListing = institution.extend({
  managerSubs: z.array(z.string()).describe('its managers’ user ids, the first named first'),
});
const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(1024).optional(),
});
const listPage = z.object({
  institutions: z.array(institutionListing),
  cursor: z.string().optional().describe('Present when more institutions follow: send it for the next page'),
});
const params = z.strictObject({ institutionId: z.uuid() });
const memberParams = z.strictObject({ institutionId: z.uuid(), userSub: z.string().min(1).max(128) });
const memberRole = z.enum(['institution-manager', 'instructor']);
const member = z.object({ userSub: z.string(), role: memberRole, createdAt: z.date() });
const tags = ['institutions'];

export const institutionRoutes =
  (ctx: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/institutions',
      {
        schema: {
          summary: 'Register an institution',
          tags,
          body: institutionInput,
          response: { 201: institution },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await registerInstitution(ctx.db, await ctx.caller(req), req.body)),
    );
    app.get(
      '/institutions',
      {
        schema: {
          summary:
            'The platform’s institutions and their managers, in name order, a page at a time (platform admins)',
          tags,
          querystring: listQuery,
          response: { 200: listPage },
        },
      },
      async (req) => listInstitutions(ctx.db, await ctx.caller(req), req.query),
    );
    app.get(
      '/institutions/:institutionId',
      {
        schema: {
          summary: 'An institution’s profile',
          tags,
          params,
          response: { 200: institution },
        },
      },
      async (req) => getInstitution(ctx.db, await ctx.caller(req), req.params.institutionId),
    );
    app.patch(
      '/institutions/:institutionId',
      {
        schema: {
          summary: 'Edit an institution’s profile',
          tags,
          params,
          body: patchOf(institutionInput),
          response: { 200: institution },
        },
      },
      async (req) => updateInstitution(ctx.db, await ctx.caller(req), req.params.institutionId, req.body),
    );
    app.get(
      '/institutions/:institutionId/public-profile',
      {
        schema: {
          summary: 'What the companies buying an institution’s courses see of it',
          tags,
          params,
          response: { 200: publicProfile },
        },
      },
      async (req) => getPublicProfile(ctx.db, await ctx.caller(req), req.params.institutionId),
    );
    app.get(
      '/institutions/:institutionId/members',
      {
        schema: {
          summary: 'The institution’s managers and instructors',
          tags,
          params,
          response: { 200: z.array(member) },
        },
      },
      async (req) => listMembers(ctx.db, await ctx.caller(req), req.params.institutionId),
    );
    app.put(
      '/institutions/:institutionId/members/:userSub',
      {
        schema: {
          summary: 'Add a manager or instructor (by user id), or change their role',
          tags,
          params: memberParams,
          body: z.strictObject({ role: memberRole }),
          response: { 200: member },
        },
      },
      async (req) =>
        putMember(ctx.db, await ctx.caller(req), req.params.institutionId, req.params.userSub, req.body.role),
    );
    app.put(
      '/institutions/:institutionId/instructors/:userSub',
      {
        schema: {
          summary: 'Make a person an instructor (an invitation); a member keeps their role',
          tags,
          params: memberParams,
          response: { 200: member },
        },
      },
      async (req) =>
        inviteInstructor(ctx.db, await ctx.caller(req), req.params.institutionId, req.params.userSub),
    );
    app.delete(
      '/institutions/:institutionId/members/:userSub',
      { schema: { summary: 'Remove a member', tags, params: memberParams } },
      async (req, reply) => {
        await removeMember(ctx.db, await ctx.caller(req), req.params.institutionId, req.params.userSub);
        return reply.code(204).send();
      },
    );
    app.put(
      '/institutions/:institutionId/managers/:userSub',
      {
        schema: {
          summary: 'Make a person a manager of the institution (platform admins)',
          tags,
          params: memberParams,
          response: { 200: member },
        },
      },
      async (req) =>
        putInstitutionManager(ctx.db, await ctx.caller(req), req.params.institutionId, req.params.userSub),
    );
    app.delete(
      '/institutions/:institutionId/managers/:userSub',
      {
        schema: {
          summary: 'Unassign a manager of the institution (platform admins); the last one stays',
          tags,
          params: memberParams,
        },
      },
      async (req, reply) => {
        await removeInstitutionManager(
          ctx.db,
          await ctx.caller(req),
          req.params.institutionId,
          req.params.userSub,
        );
        return reply.code(204).send();
      },
    );
  };
