import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import { patchOf, phone, text } from '../http/schemas';
import { businessNumber } from '../shared/business-number';
import {
  affiliateEmployee,
  decideEmployee,
  getCompany,
  listCompanyManagers,
  listEmployees,
  putCompanyManager,
  registerCompany,
  removeCompanyManager,
  requestToJoin,
  searchCompanies,
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
const manager = employee.extend({ role: z.enum(['company-manager', 'employee']) });
const companyParams = z.strictObject({ companyId: z.uuid() });
const employeeParams = z.strictObject({ companyId: z.uuid(), userSub: z.string().min(1).max(128) });
const directoryQuery = z.strictObject({
  search: text(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(1024).optional(),
});
const directoryPage = z.object({
  companies: z.array(z.object({ id: z.uuid(), name: z.string() })),
  cursor: z.string().optional().describe('Present when more companies follow: send it for the next page'),
});
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
      '/companies',
      {
        schema: {
          summary: 'The company directory: find a company by part of its name, a page at a time',
          tags,
          querystring: directoryQuery,
          response: { 200: directoryPage },
        },
      },
      async (req) => {
        // Any signed-in person may look companies up; the directory shows names and ids only.
        await ctx.identity(req);
        return searchCompanies(ctx.db, req.query);
      },
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
    app.put(
      '/companies/:companyId/employees/:userSub',
      {
        schema: {
          summary:
            'Make a person an approved employee at once (an invitation); again, they stay one employee',
          tags,
          params: employeeParams,
          body: z.strictObject({ email: z.email().max(254) }),
          response: { 200: employee },
        },
      },
      async (req) =>
        affiliateEmployee(
          ctx.db,
          await ctx.caller(req),
          req.params.companyId,
          req.params.userSub,
          req.body.email,
        ),
    );
    app.get(
      '/companies/:companyId/managers',
      {
        schema: {
          summary: 'The company’s managers (platform admins)',
          tags,
          params: companyParams,
          response: { 200: z.array(manager) },
        },
      },
      async (req) => listCompanyManagers(ctx.db, await ctx.caller(req), req.params.companyId),
    );
    app.put(
      '/companies/:companyId/managers/:userSub',
      {
        schema: {
          summary: 'Make a person a manager of the company (platform admins)',
          tags,
          params: employeeParams,
          response: { 200: manager },
        },
      },
      async (req) =>
        putCompanyManager(ctx.db, await ctx.caller(req), req.params.companyId, req.params.userSub),
    );
    app.delete(
      '/companies/:companyId/managers/:userSub',
      {
        schema: {
          summary: 'Unassign a manager of the company (platform admins); the last one stays',
          tags,
          params: employeeParams,
        },
      },
      async (req, reply) => {
        await removeCompanyManager(ctx.db, await ctx.caller(req), req.params.companyId, req.params.userSub);
        return reply.code(204).send();
      },
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
