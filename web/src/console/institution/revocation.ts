import { fieldError, problemText, type Problem } from '../../api/problem';

/** The longest reason the API keeps (contracts/certificates.ts, revokeCertificateBody). */
export const MAX_REASON = 500;

/**
 * What the revocation form says beside its reason field: the API's word on the reason itself, else the
 * refusal as a whole (already revoked, not a manager of its institution, gone), since the reason field is
 * where the manager is looking when they confirm.
 */
export function revocationRefusal(problem: Problem | undefined): string | undefined {
  if (!problem) return undefined;
  return fieldError(problem, 'body.reason') ?? problemText(problem);
}

/** The reason as it will be sent, or why it cannot be: the API refuses an empty or overlong one. */
export function checkReason(
  reason: string,
): { readonly ok: true; readonly reason: string } | { readonly ok: false; readonly why: 'empty' | 'long' } {
  const trimmed = reason.trim();
  if (trimmed === '') return { ok: false, why: 'empty' };
  if (trimmed.length > MAX_REASON) return { ok: false, why: 'long' };
  return { ok: true, reason: trimmed };
}
