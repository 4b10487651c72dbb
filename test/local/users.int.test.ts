import { randomUUID } from 'node:crypto';
import {
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { EVENTS } from '#contracts/resources';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { DEMO_IDENTITIES } from '#local/demo-identities';
import { startLocalPlatform, type LocalPlatform } from '#local/platform';
import { testDatabase, type TestDatabase } from '../service/test-database';

/*
 * The users domain through the local platform, over HTTP as a client calls it: the same handlers behind the
 * same authorizer, the real Cognito SDK client against the local admin API stand-in, and the group sync
 * subscribed to the local bus.
 */

let platform: LocalPlatform;
let database: TestDatabase;
const lines: string[] = [];
const demo = (id: string) => DEMO_IDENTITIES.find((d) => d.id === id)!;

beforeAll(async () => {
  database = await testDatabase('local_users');
  platform = await startLocalPlatform({
    database: database.db,
    dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
    port: 0,
    host: '127.0.0.1',
    tablePrefix: `users-${process.pid}-`,
    log: (line) => lines.push(line),
    live: { sweepEveryMs: 0 },
  });
});
afterAll(async () => {
  await platform.close();
  await database.close();
});

async function tokenFor(identity: string) {
  const res = await fetch(`${platform.url}/local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identity }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function call(identity: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: {
      cookie: `lms_access=${await tokenFor(identity)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown> & { errors?: unknown },
  };
}

/** A core fact on the local bus, as the outbox relay publishes it. */
async function coreFact(detailType: string, detail: Record<string, unknown>, occurredAt = new Date()) {
  await platform.bus.publish([
    {
      source: EVENTS.sources.core,
      detailType,
      detail: { eventId: `core-${randomUUID()}`, occurredAt: occurredAt.toISOString(), ...detail },
      time: occurredAt,
    },
  ]);
  await platform.bus.settled();
}

describe('users domain on the local platform', () => {
  it('refuses, as Cognito does, a call not signed with the local keys and an attribute outside the schema', async () => {
    const endpoint = process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER!;
    const { userPoolId } = platform.cognito;
    const learner = demo('learner').sub;
    const unsigned = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.AdminGetUser',
      },
      body: JSON.stringify({ UserPoolId: userPoolId, Username: learner }),
    });
    expect(unsigned.status).toBe(403);
    const stranger = new CognitoIdentityProviderClient({
      endpoint,
      region: LOCAL_AWS.region,
      credentials: { accessKeyId: 'AKIASTRANGER', secretAccessKey: 'not-the-local-secret' },
    });
    await expect(
      stranger.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: learner })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    const client = new CognitoIdentityProviderClient({ endpoint, ...LOCAL_AWS });
    await expect(
      client.send(
        new AdminUpdateUserAttributesCommand({
          UserPoolId: userPoolId,
          Username: learner,
          UserAttributes: [{ Name: 'custom:role', Value: 'platform-admin' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: learner })),
    ).resolves.toMatchObject({ Username: learner });
  });

  it('reads and changes the caller’s own profile', async () => {
    const before = await call('learner', 'GET', '/me/profile');
    expect(before).toMatchObject({
      status: 200,
      body: {
        sub: demo('learner').sub,
        email: demo('learner').email,
        name: 'Learner',
        phone: null,
        locale: null,
      },
    });
    const after = await call('learner', 'PATCH', '/me/profile', { phone: '+821012345678', locale: 'ko' });
    expect(after.body).toMatchObject({ phone: '+821012345678', locale: 'ko', name: 'Learner' });
    expect((await call('learner', 'GET', '/me/profile')).body.locale).toBe('ko');
    // Nobody else's changed.
    expect((await call('learner2', 'GET', '/me/profile')).body.locale).toBeNull();
  });

  it('refuses a bad profile change with a problem naming the field', async () => {
    const answer = await call('learner', 'PATCH', '/me/profile', { phone: '010-1234-5678' });
    expect(answer.status).toBe(400);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    expect(answer.body.errors).toEqual([{ field: 'body.phone', message: expect.any(String) }]);
  });

  it('gives and takes groups as the core’s memberships change, signing out on removal', async () => {
    const institutionId = randomUUID();
    const sub = demo('learner2').sub;
    await coreFact('institution.member-set', { institutionId, userSub: sub, role: 'instructor' });
    expect(await platform.cognito.groupsOf(sub)).toEqual(['instructor', 'learner']);
    await coreFact('institution.member-removed', { institutionId, userSub: sub });
    expect(await platform.cognito.groupsOf(sub)).toEqual(['learner']);
    expect(platform.cognito.signOutsOf(sub)).toBe(1);
  });

  it('lets a company manager invite into their company only', async () => {
    const companyId = randomUUID();
    const invite = (id: string) =>
      call('company', 'POST', '/invitations/employees', {
        companyId: id,
        csv: 'email,name\nnew.hire@company.local,New Hire\nbroken,Nobody',
      });
    expect((await invite(companyId)).status).toBe(403);
    await coreFact('company.member-set', {
      companyId,
      userSub: demo('company').sub,
      role: 'company-manager',
    });
    const answer = await invite(companyId);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ invited: 1, invalid: 1, existing: 0, failed: 0 });
    expect(await platform.cognito.groupsOf('new.hire@company.local')).toEqual(['learner']);
    // The invitation e-mail Cognito would send, readable in the log; the fact the core affiliates by.
    expect(lines.some((l) => l.includes('e-mail to new.hire@company.local: Your username is'))).toBe(true);
    await platform.bus.settled();
    expect(
      platform.bus.published.filter((e) => e['detail-type'] === 'users.invited').map((e) => e.detail),
    ).toEqual([expect.objectContaining({ companyId, email: 'new.hire@company.local', role: 'employee' })]);
    // Inviting the same address again finds the account.
    expect((await invite(companyId)).body).toMatchObject({ invited: 0, existing: 1 });
  });

  it('refuses the invitation routes to roles they are not for', async () => {
    const body = { companyId: randomUUID(), invitees: [{ email: 'x@example.com', name: 'X' }] };
    expect((await call('learner', 'POST', '/invitations/employees', body)).status).toBe(403);
    const instructors = { institutionId: randomUUID(), invitees: [{ email: 'x@example.com', name: 'X' }] };
    expect((await call('company', 'POST', '/invitations/instructors', instructors)).status).toBe(403);
    // A manager of no institution the users table knows of.
    expect((await call('manager', 'POST', '/invitations/instructors', instructors)).status).toBe(403);
  });
});
