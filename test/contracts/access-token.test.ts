import { identityOf } from '#contracts/access-token';
import { HttpError } from '#contracts/problem';

/** The claims a verified token carries, before the platform reads them. */
const claims = (over: Record<string, unknown>) => ({
  sub: '6c3b0f52-8d6c-4a55-9d8c-7f7e6d8c1a11',
  email: 'learner@example.com',
  'cognito:groups': ['learner'],
  token_use: 'access',
  ...over,
});

describe('identityOf', () => {
  it('reads sub, e-mail and the platform’s roles, ignoring other groups', () => {
    expect(identityOf(claims({ 'cognito:groups': ['learner', 'us-east-1_x_Google', 'instructor'] }))).toEqual(
      {
        sub: '6c3b0f52-8d6c-4a55-9d8c-7f7e6d8c1a11',
        email: 'learner@example.com',
        roles: ['learner', 'instructor'],
      },
    );
    // Cognito leaves the claim out for a user in no group, and the e-mail for one without it.
    expect(identityOf(claims({ 'cognito:groups': undefined, email: undefined }))).toMatchObject({
      roles: [],
      email: undefined,
    });
  });

  it.each([
    ['token.sub', { sub: undefined }],
    ['token.sub', { sub: '' }],
    ['token.sub', { sub: 42 }],
    ['token.sub', { sub: 'a\u0000b' }],
    ['token.sub', { sub: 'a\u001fb' }],
    ['token.sub', { sub: 'a\u007fb' }],
    ['token.sub', { sub: 'a b' }],
    ['token.sub', { sub: '\ud800' }],
    ['token.sub', { sub: 'x'.repeat(129) }],
    ['token.email', { email: 'not an e-mail' }],
    ['token.email', { email: 'a\r\nbcc:x@example.com' }],
    ['token.email', { email: ['learner@example.com'] }],
    ['token.email', { email: `${'x'.repeat(250)}@example.com` }],
    ['token.cognito:groups', { 'cognito:groups': 'learner' }],
    ['token.cognito:groups.0', { 'cognito:groups': [{ role: 'learner' }] }],
    ['token.cognito:groups.0', { 'cognito:groups': ['learner\n'] }],
    ['token.cognito:groups', { 'cognito:groups': Array.from({ length: 101 }, (_, i) => `g${i}`) }],
  ])('refuses the token with 401 naming %s', (field, over) => {
    let error: unknown;
    try {
      identityOf(claims(over));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 401 });
    expect([...new Set((error as HttpError).errors!.map((e) => e.field))]).toEqual([field]);
  });
});
