import * as z from 'zod';
import { ROLES } from './resources';

/*
 * The users domain's requests: profiles on Cognito attributes and invitations by e-mail. Shared by the route
 * table (which validates with them) and the handlers.
 */

/** A person's name as they would write it: trimmed, 1 to 100 characters (Cognito's `name` holds 2048). */
export const personName = z.string().trim().min(1).max(100);

/** E.164, as Cognito's `phone_number` requires: `+`, a country code, at most 15 digits in all. */
export const e164Phone = z
  .string()
  .regex(/^\+[1-9][0-9]{6,14}$/, 'an E.164 phone number such as +821012345678');

/** The languages the platform speaks. */
export const LOCALES = ['ko', 'en'] as const;

export const updateProfileBody = z
  .strictObject({
    name: personName.optional(),
    phone: e164Phone.optional(),
    locale: z.enum(LOCALES).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Name at least one field to change' });
export type UpdateProfileBody = z.infer<typeof updateProfileBody>;

/** Rows one invitation request may carry, so it finishes well within the API's 30 seconds. */
export const MAX_INVITEES = 100;
/** The CSV's size: 100 rows of a long address and a long name, with room to spare. */
export const MAX_CSV_CHARS = 64 * 1024;

/** One person to invite. */
export const invitee = z.strictObject({
  email: z.email().max(254),
  name: personName,
});
export type Invitee = z.infer<typeof invitee>;

/**
 * Invitees as JSON (`invitees`, all valid or the request is refused) or as CSV text (`csv`: `email,name`
 * per line, an optional header line; each row judged on its own and answered with its outcome). Exactly
 * one of the two.
 */
const invitees = {
  invitees: z.array(invitee).min(1).max(MAX_INVITEES).optional(),
  csv: z.string().min(1).max(MAX_CSV_CHARS).optional(),
};

export const inviteEmployeesBody = z.strictObject({ companyId: z.uuid(), ...invitees });
export const inviteInstructorsBody = z.strictObject({ institutionId: z.uuid(), ...invitees });

/** What became of one invitee. */
export interface InvitationOutcome {
  /** The invitee's place: its position in `invitees` or its line in the CSV, counted from 1. */
  readonly row: number;
  readonly email?: string;
  /**
   * `invited`: a new account, whose temporary password Cognito e-mails; `existing`: the account that
   * already had this address, affiliated all the same; `invalid`: a CSV row that is no invitee (see
   * `errors`); `failed`: Cognito refused or was busy, and sending the row again is safe.
   */
  readonly outcome: 'invited' | 'existing' | 'invalid' | 'failed';
  readonly sub?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
}

/** `GET /me`: who the session belongs to, as the token says. */
export const meView = z.object({
  sub: z.string(),
  email: z.string().nullable(),
  roles: z.array(z.enum(ROLES)),
});

/**
 * `GET` and `PATCH /me/profile`: the caller's profile as their account holds it. `locale` is whatever the
 * account says (another client may have written one the platform does not speak).
 */
export const profileView = z.object({
  sub: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  locale: z.string().nullable(),
});
export type ProfileView = z.infer<typeof profileView>;
