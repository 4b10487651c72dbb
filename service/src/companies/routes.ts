import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import { patchOf, phone, text } from '../http/schemas';
import { businessNumber } from '../shared/business-number';
import {
  decideEmployee,
  getCompany,
  listEmployees,
  registerCompany,
  requestToJoin,
  updateCompany,
} from './companies';

const companyInput = z.strictObject({
  name: text(200),
  ownerName: text(100),
  businessNumber,
  email: z.email().max(254),
  phone,
});
const company = z.object({
  id: z.uuid(),
  name: z.string(),
  ownerName: z.string(),
  businessNumber: z.string(),
  email: z.string(),
  phone: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
const employee = z.object({
  userSub: z.string(),
  email: z.string().nullable(),
  state: z.enum(['requested', 'approved', 'removed']),
  requestedAt: z.date(),
  decidedAt: z.date().nullable(),
});
const companyParams = z.strictObject({ companyId: z.uuid() });
const employeeParams = z.strictObject({ companyId: z.uuid(), userSub: z.string().min(1).max(128) });
const tags = ['companies'];

export const companyRoutes =
  (ctx: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/companies',
      { schema: { summary: 'Register a company', tags, body: companyInput, response: { 201: company } } },
      async (req, reply) =>
        reply.code(201).send(await registerCompany(ctx.db, await ctx.caller(req), req.body)),
    );
    app.get(
      '/companies/:companyId',
      { schema: { summary: 'A company’s profile', tags, params: companyParams, response: { 200: company } } },
      async (req) => getCompany(ctx.db, await ctx.caller(req), req.params.companyId),
    );
    app.patch(
      '/companies/:companyId',
      {
        schema: {
          summary: 'Edit a company',
          tags,
          params: companyParams,
          body: patchOf(companyInput),
          response: { 200: company },
        },
      },
      async (req) => updateCompany(ctx.db, await ctx.caller(req), req.params.companyId, req.body),
    );
    app.post(
      '/companies/:companyId/join-requests',
      {
        schema: {
          summary: 'Ask to join a company as its employee',
          tags,
          params: companyParams,
          response: { 200: employee },
        },
      },
      async (req) => requestToJoin(ctx.db, await ctx.caller(req), req.params.companyId),
    );
    app.get(
      '/companies/:companyId/employees',
      {
        schema: {
          summary: 'A company’s employees and join requests',
          tags,
          params: companyParams,
          querystring: z.strictObject({
            state: z.enum(['requested', 'approved', 'removed']).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: z.array(employee) },
        },
      },
      async (req) => listEmployees(ctx.db, await ctx.caller(req), req.params.companyId, req.query),
    );
    app.put(
      '/companies/:companyId/employees/:userSub/approval',
      {
        schema: {
          summary: 'Approve a join request',
          tags,
          params: employeeParams,
          response: { 200: employee },
        },
      },
      async (req) =>
        decideEmployee(ctx.db, await ctx.caller(req), req.params.companyId, req.params.userSub, 'approved'),
    );
    app.delete(
      '/companies/:companyId/employees/:userSub',
      {
        schema: {
          summary: 'Remove an employee (or refuse a request)',
          tags,
          params: employeeParams,
          response: { 200: employee },
        },
      },
      async (req) =>
        decideEmployee(ctx.db, await ctx.caller(req), req.params.companyId, req.params.userSub, 'removed'),
    );
  };
