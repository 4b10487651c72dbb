import { checkReason, MAX_REASON, revocationRefusal } from '../../web/src/console/institution/revocation';

describe('the certificate revocation form', () => {
  it('says the API’s refusal of the reason beside the reason field', () => {
    expect(
      revocationRefusal({
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'Invalid body.reason',
        errors: [
          { field: 'body.other', message: 'not this one' },
          { field: 'body.reason', message: 'Too small: expected string to have >=1 characters' },
        ],
      }),
    ).toBe('Too small: expected string to have >=1 characters');
  });

  it('says a refusal of the whole revocation there too, by its detail, else its title', () => {
    expect(
      revocationRefusal({
        type: 'about:blank',
        title: 'Conflict',
        status: 409,
        detail: 'The certificate is already revoked',
      }),
    ).toBe('The certificate is already revoked');
    expect(revocationRefusal({ type: 'about:blank', title: 'Forbidden', status: 403 })).toBe('Forbidden');
    expect(revocationRefusal(undefined)).toBeUndefined();
  });

  it('sends a trimmed reason and refuses an empty or overlong one before asking', () => {
    expect(checkReason('  Exam fraud ')).toEqual({ ok: true, reason: 'Exam fraud' });
    expect(checkReason(' \n ')).toEqual({ ok: false, why: 'empty' });
    expect(checkReason('x'.repeat(MAX_REASON))).toEqual({ ok: true, reason: 'x'.repeat(MAX_REASON) });
    expect(checkReason('x'.repeat(MAX_REASON + 1))).toEqual({ ok: false, why: 'long' });
  });
});
