import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import type { RouteContext } from '../http/context';
import { businessNumber } from '../shared/business-number';
import { getInstitution, registerInstitution, updateInstitution } from './institutions';

const text = (max: number) => z.string().trim().min(1).max(max);
const phone = z.string().regex(/^\+?[0-9-]{7,20}$/, 'a phone number: digits, hyphens, optional leading +');

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
const params = z.strictObject({ institutionId: z.uuid() });

export const institutionRoutes =
  (ctx: RouteContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/institutions',
      {
        schema: {
          summary: 'Register an institution',
          tags: ['institutions'],
          body: institutionInput,
          response: { 201: institution },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await registerInstitution(ctx.db, await ctx.caller(req), req.body)),
    );
    app.get(
      '/institutions/:institutionId',
      {
        schema: {
          summary: 'An institution’s profile',
          tags: ['institutions'],
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
          tags: ['institutions'],
          params,
          body: institutionInput
            .partial()
            .refine((b) => Object.keys(b).length > 0, 'change at least one field'),
          response: { 200: institution },
        },
      },
      async (req) => updateInstitution(ctx.db, await ctx.caller(req), req.params.institutionId, req.body),
    );
  };
