import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ENV, EVENTS } from '#contracts/resources';
import { MAX_CSV_CHARS, MAX_INVITEES } from '#contracts/users';
import type { ApiEvent, ApiResult } from '#lambda/shared/http-handler';
import { syncMemberEvent } from '#lambda/users/memberships';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';
import { overrideEnv } from '../env';
import { apiEvent } from '../event-fixture';
import { snapshot } from '../live/quiz-fixture';

/*
 * The users routes as deployed: each handler module loaded after its environment is set, over a users table
 * of this file's own in DynamoDB Local, Cognito and EventBridge mocked at their SDK boundary. Who may do
 * what (role and tenant), which inputs are refused naming their field, and that a refusal writes nothing:
 * no item, no Cognito change, no event.
 */

type Handler = (event: ApiEvent) => Promise<ApiResult>;
const ROUTES = {
  'get-profile': { method: 'GET', path: '/me/profile' },
  'update-profile': { method: 'PATCH', path: '/me/profile' },
  'invite-employees': { method: 'POST', path: '/invitations/employees' },
  'invite-instructors': { method: 'POST', path: '/invitations/instructors' },
} as const;
type RouteName = keyof typeof ROUTES;

const POOL = 'ap-northeast-2_ROUTES';
const cognito = mockClient(CognitoIdentityProviderClient);
const bus = mockClient(EventBridgeClient);
const endpoint = process.env.DYNAMODB_ENDPOINT!;
const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
const ddb = DynamoDBDocumentClient.from(client);
let tables: Record<string, string>;
let restoreEnv: () => void;
const handlers = {} as Record<RouteName, Handler>;

/** The people of the scene, with the role their token carries. */
const people = {
  companyManager: { sub: randomUUID(), roles: 'company-manager' },
  otherCompanyManager: { sub: randomUUID(), roles: 'company-manager' },
  formerCompanyManager: { sub: randomUUID(), roles: 'company-manager' },
  employee: { sub: randomUUID(), roles: 'learner' },
  institutionManager: { sub: randomUUID(), roles: 'institution-manager' },
  otherInstitutionManager: { sub: randomUUID(), roles: 'institution-manager' },
  instructor: { sub: randomUUID(), roles: 'instructor' },
  // A token with a role the users table has never heard of: the token alone grants no tenancy.
  tokenOnlyManager: { sub: randomUUID(), roles: 'company-manager,institution-manager' },
} as const;
type Who = keyof typeof people | 'nobody';
const company = randomUUID();
const otherCompany = randomUUID();
const institution = randomUUID();
const otherInstitution = randomUUID();

beforeAll(async () => {
  tables = await createTables(endpoint, `users-routes-${randomUUID()}-`);
  restoreEnv = overrideEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    [ENV.usersTable]: tables.users!,
    [ENV.userPoolId]: POOL,
    [EVENTS.busNameEnv]: 'lms-routes',
  });
  for (const name of Object.keys(ROUTES) as RouteName[]) {
    handlers[name] = (
      (await import(join(__dirname, `../../../lambda/users/${name}`))) as { handler: Handler }
    ).handler;
  }
  // The memberships, as the core's facts made them.
  const store = {
    ddb,
    usersTable: tables.users!,
    cognito: new CognitoIdentityProviderClient({}),
    userPoolId: POOL,
  };
  const t = (minutes: number) => new Date(Date.UTC(2026, 11, 1, 9, minutes)).toISOString();
  const fact = (type: string, detail: Record<string, unknown>, minutes = 0) =>
    syncMemberEvent(store, {
      id: randomUUID(),
      source: 'lms.core',
      'detail-type': type,
      time: t(minutes),
      detail: { eventId: `core-${randomUUID()}`, occurredAt: t(minutes), ...detail },
    });
  await fact('company.member-set', {
    companyId: company,
    userSub: people.companyManager.sub,
    role: 'company-manager',
  });
  await fact('company.member-set', {
    companyId: otherCompany,
    userSub: people.otherCompanyManager.sub,
    role: 'company-manager',
  });
  await fact('company.member-set', {
    companyId: company,
    userSub: people.formerCompanyManager.sub,
    role: 'company-manager',
  });
  await fact('company.member-removed', { companyId: company, userSub: people.formerCompanyManager.sub }, 1);
  await fact('company.member-set', { companyId: company, userSub: people.employee.sub, role: 'employee' });
  await fact('institution.member-set', {
    institutionId: institution,
    userSub: people.institutionManager.sub,
    role: 'institution-manager',
  });
  await fact('institution.member-set', {
    institutionId: otherInstitution,
    userSub: people.otherInstitutionManager.sub,
    role: 'institution-manager',
  });
  await fact('institution.member-set', {
    institutionId: institution,
    userSub: people.instructor.sub,
    role: 'instructor',
  });
});
afterAll(async () => {
  restoreEnv();
  for (const name of Object.values(tables)) await client.send(new DeleteTableCommand({ TableName: name }));
  client.destroy();
});
beforeEach(() => {
  cognito.reset();
  bus.reset();
  cognito.on(AdminGetUserCommand).callsFake((input: { Username: string }) => ({
    Username: input.Username,
    UserAttributes: [{ Name: 'sub', Value: input.Username }],
    UserStatus: 'CONFIRMED',
  }));
  cognito.on(AdminCreateUserCommand).callsFake((input: { Username: string }) => ({
    User: {
      Username: `sub-${input.Username}`,
      Attributes: [{ Name: 'sub', Value: `sub-${input.Username}` }],
    },
  }));
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

async function call(route: RouteName, who: Who, body?: string, headers?: Record<string, string>) {
  const person = who === 'nobody' ? undefined : people[who];
  const result = await handlers[route](
    apiEvent({
      ...ROUTES[route],
      headers: headers ?? (body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(body !== undefined ? { body } : {}),
      ...(person
        ? { authorizer: { sub: person.sub, email: `${person.sub}@example.com`, roles: person.roles } }
        : {}),
    }),
  );
  const parsed = result.body ? (JSON.parse(result.body) as Record<string, unknown>) : undefined;
  return {
    status: result.statusCode!,
    type: (result.headers as Record<string, string> | undefined)?.['content-type'],
    body: parsed,
    fields: ((parsed?.['errors'] as { field: string }[] | undefined) ?? []).map((e) => e.field),
  };
}

/** Every Cognito call that would change something, and every event put on the bus. */
const writes = () => [
  ...cognito.commandCalls(AdminCreateUserCommand),
  ...cognito.commandCalls(AdminAddUserToGroupCommand),
  ...cognito.commandCalls(AdminUpdateUserAttributesCommand),
  ...bus.commandCalls(PutEventsCommand),
];

const body = JSON.stringify;
const employees = (companyId = company) =>
  body({ companyId, invitees: [{ email: 'new@example.com', name: 'New' }] });
const instructors = (institutionId = institution) =>
  body({ institutionId, invitees: [{ email: 'teacher@example.com', name: 'Teacher' }] });

describe('the authorization matrix', () => {
  // [route, who, body, expected status]
  const matrix: [RouteName, Who, string | undefined, number][] = [
    ['get-profile', 'employee', undefined, 200],
    ['get-profile', 'companyManager', undefined, 200],
    ['get-profile', 'nobody', undefined, 401],
    ['update-profile', 'employee', body({ locale: 'en' }), 200],
    ['update-profile', 'nobody', body({ locale: 'en' }), 401],
    ['invite-employees', 'companyManager', employees(), 200],
    ['invite-employees', 'otherCompanyManager', employees(), 403],
    ['invite-employees', 'formerCompanyManager', employees(), 403],
    ['invite-employees', 'tokenOnlyManager', employees(), 403],
    ['invite-employees', 'employee', employees(), 403],
    ['invite-employees', 'institutionManager', employees(), 403],
    ['invite-employees', 'nobody', employees(), 401],
    ['invite-instructors', 'institutionManager', instructors(), 200],
    ['invite-instructors', 'otherInstitutionManager', instructors(), 403],
    ['invite-instructors', 'tokenOnlyManager', instructors(), 403],
    ['invite-instructors', 'instructor', instructors(), 403],
    ['invite-instructors', 'companyManager', instructors(), 403],
    ['invite-instructors', 'employee', instructors(), 403],
    ['invite-instructors', 'nobody', instructors(), 401],
  ];

  it.each(matrix)('%s by %s: %i', async (route, who, input, status) => {
    const before = await snapshot(ddb, tables.users!);
    const res = await call(route, who, input);
    expect(res.status).toBe(status);
    if (status >= 400) {
      expect(res.type).toBe('application/problem+json');
      expect(writes()).toEqual([]);
      expect(await snapshot(ddb, tables.users!)).toEqual(before);
    }
  });

  it('reads and changes only the caller’s own account, whatever the body says', async () => {
    await call('get-profile', 'employee');
    expect(cognito).toHaveReceivedCommandWith(AdminGetUserCommand, {
      UserPoolId: POOL,
      Username: people.employee.sub,
    });
    const sneaky = await call(
      'update-profile',
      'employee',
      body({ name: 'X', sub: people.companyManager.sub }),
    );
    expect([sneaky.status, sneaky.fields]).toEqual([400, ['body.sub']]);
    await call('update-profile', 'employee', body({ name: 'Kim' }));
    expect(cognito.commandCalls(AdminUpdateUserAttributesCommand).map((c) => c.args[0].input)).toEqual([
      { UserPoolId: POOL, Username: people.employee.sub, UserAttributes: [{ Name: 'name', Value: 'Kim' }] },
    ]);
  });
});

describe('bad input', () => {
  const invitees = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ email: `p${i}@example.com`, name: 'P' }));
  // [case, route, body, named fields, status]
  const cases: [string, RouteName, string, string[], number?][] = [
    ['a local phone number', 'update-profile', body({ phone: '010-1234-5678' }), ['body.phone']],
    ['a phone number without its country', 'update-profile', body({ phone: '+0101234' }), ['body.phone']],
    ['a locale the platform does not speak', 'update-profile', body({ locale: 'fr' }), ['body.locale']],
    ['a blank name', 'update-profile', body({ name: '  ' }), ['body.name']],
    ['a name of 101 characters', 'update-profile', body({ name: 'n'.repeat(101) }), ['body.name']],
    ['nothing to change', 'update-profile', body({}), ['body']],
    ['an e-mail change', 'update-profile', body({ email: 'a@example.com' }), ['body.email', 'body']],
    ['no JSON', 'update-profile', '{"name":', ['body']],
    [
      'a company id that is no uuid',
      'invite-employees',
      body({ companyId: 'acme', invitees: invitees(1) }),
      ['body.companyId'],
    ],
    ['no company', 'invite-employees', body({ invitees: invitees(1) }), ['body.companyId']],
    [
      'an invitee without an address',
      'invite-employees',
      body({ companyId: company, invitees: [{ email: 'nobody', name: 'N' }] }),
      ['body.invitees.0.email'],
    ],
    ['no invitee', 'invite-employees', body({ companyId: company, invitees: [] }), ['body.invitees']],
    [
      `${MAX_INVITEES + 1} invitees`,
      'invite-employees',
      body({ companyId: company, invitees: invitees(MAX_INVITEES + 1) }),
      ['body.invitees'],
    ],
    [
      'a CSV past its size',
      'invite-employees',
      body({ companyId: company, csv: 'a'.repeat(MAX_CSV_CHARS + 1) }),
      ['body.csv'],
    ],
    [
      'both invitees and a CSV',
      'invite-employees',
      body({ companyId: company, invitees: invitees(1), csv: 'a@example.com,A' }),
      ['body.invitees', 'body.csv'],
    ],
    [
      'neither invitees nor a CSV',
      'invite-employees',
      body({ companyId: company }),
      ['body.invitees', 'body.csv'],
    ],
    [
      'a CSV of blank lines',
      'invite-employees',
      body({ companyId: company, csv: 'email,name\n\n' }),
      ['body.csv'],
    ],
    [
      'a company on the instructors route',
      'invite-instructors',
      body({ companyId: company, invitees: invitees(1) }),
      ['body.institutionId', 'body.companyId'],
    ],
  ];

  it.each(cases)('%s (%s): 400 naming it, nothing written', async (_, route, input, named, status = 400) => {
    const who: Who = route === 'invite-instructors' ? 'institutionManager' : 'companyManager';
    const before = await snapshot(ddb, tables.users!);
    const res = await call(route, who, input);
    expect([res.status, res.fields]).toEqual([status, named]);
    expect(res.type).toBe('application/problem+json');
    expect(writes()).toEqual([]);
    expect(await snapshot(ddb, tables.users!)).toEqual(before);
  });

  it('refuses a body that is not JSON by its content type (415 headers.content-type)', async () => {
    const res = await call('invite-employees', 'companyManager', 'new@example.com,New', {
      'content-type': 'text/csv',
    });
    expect([res.status, res.fields]).toEqual([415, ['headers.content-type']]);
    expect(writes()).toEqual([]);
  });
});
