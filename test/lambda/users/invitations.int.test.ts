import { randomUUID } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { HttpError } from '#contracts/problem';
import { usersInvited } from '#contracts/platform-events';
import { type InvitationDeps, parseInviteeCsv } from '#lambda/users/invitations';
import { answerInvitation } from '#lambda/users/invite-people';
import { syncMemberEvent } from '#lambda/users/memberships';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';

/*
 * Invitations against a users table in DynamoDB Local (who manages what), with Cognito and EventBridge
 * mocked at the SDK boundary: the exact account, group and event each invitee gets.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
const ddb = DynamoDBDocumentClient.from(client);
const cognito = new CognitoIdentityProviderClient({ region: LOCAL_AWS.region });
const cognitoMock = mockClient(cognito);
const eventBridge = new EventBridgeClient({ region: LOCAL_AWS.region });
const busMock = mockClient(eventBridge);
const POOL = 'ap-northeast-2_TESTPOOL';
const NOW = new Date('2026-12-06T09:00:00.000Z');
let tables: Record<string, string>;
let deps: InvitationDeps;

const manager = randomUUID();
const company = randomUUID();
const institutionManager = randomUUID();
const institution = randomUUID();
const employee = randomUUID();

const coreFact = (type: string, detail: Record<string, unknown>) => ({
  id: randomUUID(),
  source: 'lms.core',
  'detail-type': type,
  time: NOW.toISOString(),
  detail: { eventId: `core-${randomUUID()}`, occurredAt: NOW.toISOString(), ...detail },
});

beforeAll(async () => {
  tables = await createTables(endpoint, `invitations-${randomUUID()}-`);
  deps = {
    ddb,
    usersTable: tables.users!,
    cognito,
    userPoolId: POOL,
    eventBridge,
    busName: 'lms-test',
    now: () => NOW,
  };
  // The memberships as the core's facts made them.
  const facts = [
    coreFact('company.member-set', { companyId: company, userSub: manager, role: 'company-manager' }),
    coreFact('company.member-set', { companyId: company, userSub: employee, role: 'employee' }),
    coreFact('institution.member-set', {
      institutionId: institution,
      userSub: institutionManager,
      role: 'institution-manager',
    }),
  ];
  for (const fact of facts)
    await syncMemberEvent({ ddb, usersTable: tables.users!, cognito, userPoolId: POOL }, fact);
});

afterAll(async () => {
  for (const name of Object.values(tables)) await client.send(new DeleteTableCommand({ TableName: name }));
  client.destroy();
});

beforeEach(() => {
  cognitoMock.reset();
  busMock.reset();
  busMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

/** Cognito as it answers AdminCreateUser for a new address: the user with its generated sub. */
function createsUsers() {
  cognitoMock.on(AdminCreateUserCommand).callsFake((input: { Username: string }) => {
    const sub = `sub-${input.Username}`;
    return {
      User: { Username: sub, Attributes: [{ Name: 'sub', Value: sub }], UserStatus: 'FORCE_CHANGE_PASSWORD' },
    };
  });
  cognitoMock.on(AdminAddUserToGroupCommand).resolves({});
}

const employees = { role: 'employee', companyId: company } as const;

/** The `users.invited` details put on the bus, in order. */
const published = () =>
  busMock.commandCalls(PutEventsCommand).map((c) => {
    const entry = c.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({
      EventBusName: 'lms-test',
      Source: 'lms.users',
      DetailType: 'users.invited',
    });
    return usersInvited.parse(JSON.parse(entry.Detail!));
  });

describe('invitations', () => {
  it('invites one employee: an account Cognito e-mails, in learner, and users.invited for the core', async () => {
    createsUsers();
    const answer = await answerInvitation(deps, manager, employees, {
      invitees: [{ email: 'Kim@Example.com', name: 'Kim Minsu' }],
    });
    expect(answer.body).toEqual({
      invited: 1,
      existing: 0,
      invalid: 0,
      failed: 0,
      rows: [{ row: 1, email: 'kim@example.com', outcome: 'invited', sub: 'sub-kim@example.com' }],
    });
    expect(cognitoMock).toHaveReceivedCommandWith(AdminCreateUserCommand, {
      UserPoolId: POOL,
      Username: 'kim@example.com',
      UserAttributes: [
        { Name: 'email', Value: 'kim@example.com' },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'name', Value: 'Kim Minsu' },
      ],
      DesiredDeliveryMediums: ['EMAIL'],
    });
    expect(cognitoMock).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, {
      UserPoolId: POOL,
      Username: 'sub-kim@example.com',
      GroupName: 'learner',
    });
    expect(cognitoMock).toHaveReceivedCommandTimes(AdminAddUserToGroupCommand, 1);
    const [event] = published();
    expect(event).toEqual({
      eventId: expect.stringMatching(/^users-invited-[0-9a-f-]{36}$/),
      occurredAt: NOW.toISOString(),
      role: 'employee',
      companyId: company,
      userSub: 'sub-kim@example.com',
      email: 'kim@example.com',
      name: 'Kim Minsu',
      invitedBy: manager,
    });
  });

  it('finds an existing account instead of failing or duplicating it, with the same event id', async () => {
    createsUsers();
    await answerInvitation(deps, manager, employees, {
      invitees: [{ email: 'lee@example.com', name: 'Lee' }],
    });
    const first = published()[0]!;
    cognitoMock.reset();
    busMock.resetHistory();
    cognitoMock.on(AdminCreateUserCommand).rejects(
      new UsernameExistsException({
        message: 'An account with the given email already exists.',
        $metadata: {},
      }),
    );
    cognitoMock.on(AdminGetUserCommand).resolves({
      Username: 'sub-lee@example.com',
      UserAttributes: [{ Name: 'sub', Value: 'sub-lee@example.com' }],
      UserStatus: 'CONFIRMED',
    });
    const again = await answerInvitation(deps, manager, employees, {
      invitees: [{ email: 'lee@example.com', name: 'Lee' }],
    });
    expect(again.body.rows).toEqual([
      { row: 1, email: 'lee@example.com', outcome: 'existing', sub: 'sub-lee@example.com' },
    ]);
    expect(cognitoMock).toHaveReceivedCommandTimes(AdminCreateUserCommand, 1);
    expect(cognitoMock).toHaveReceivedCommandWith(AdminGetUserCommand, {
      UserPoolId: POOL,
      Username: 'lee@example.com',
    });
    expect(cognitoMock).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, {
      UserPoolId: POOL,
      Username: 'sub-lee@example.com',
      GroupName: 'learner',
    });
    expect(published()[0]!.eventId).toBe(first.eventId);
  });

  it('sends the temporary password again to someone invited before who never signed in', async () => {
    cognitoMock
      .on(AdminCreateUserCommand)
      .rejects(new UsernameExistsException({ message: 'exists', $metadata: {} }))
      .on(AdminCreateUserCommand, { MessageAction: 'RESEND' })
      .resolves({});
    cognitoMock.on(AdminGetUserCommand).resolves({
      Username: 'sub-park',
      UserAttributes: [{ Name: 'sub', Value: 'sub-park' }],
      UserStatus: 'FORCE_CHANGE_PASSWORD',
    });
    const answer = await answerInvitation(deps, manager, employees, {
      invitees: [{ email: 'park@example.com', name: 'Park' }],
    });
    expect(answer.body.existing).toBe(1);
    expect(cognitoMock).toHaveReceivedCommandWith(AdminCreateUserCommand, {
      UserPoolId: POOL,
      Username: 'park@example.com',
      MessageAction: 'RESEND',
      DesiredDeliveryMediums: ['EMAIL'],
    });
  });

  it('a CSV: each row judged on its own and answered with its outcome', async () => {
    createsUsers();
    cognitoMock
      .on(AdminCreateUserCommand, { Username: 'busy@example.com' })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    const csv = [
      'email,name',
      'choi@example.com,Choi',
      'not-an-address,Nobody',
      '"jung@example.com","Jung, Hana"',
      '',
      'only-one-field@example.com',
      'busy@example.com,Busy',
      'yoon@example.com,',
    ].join('\r\n');
    const answer = await answerInvitation(deps, manager, employees, { csv });
    expect(answer.body).toMatchObject({ invited: 2, existing: 0, invalid: 3, failed: 1 });
    expect(answer.body.rows).toEqual([
      { row: 2, email: 'choi@example.com', outcome: 'invited', sub: 'sub-choi@example.com' },
      {
        row: 3,
        email: 'not-an-address',
        outcome: 'invalid',
        errors: [{ field: 'row.email', message: expect.any(String) }],
      },
      { row: 4, email: 'jung@example.com', outcome: 'invited', sub: 'sub-jung@example.com' },
      {
        row: 6,
        email: 'only-one-field@example.com',
        outcome: 'invalid',
        errors: [{ field: 'row', message: 'Expected two fields: e-mail address, name' }],
      },
      { row: 7, email: 'busy@example.com', outcome: 'failed' },
      {
        row: 8,
        email: 'yoon@example.com',
        outcome: 'invalid',
        errors: [{ field: 'row.name', message: expect.any(String) }],
      },
    ]);
    expect(published().map((e) => [e.email, e.name])).toEqual(
      expect.arrayContaining([
        ['choi@example.com', 'Choi'],
        ['jung@example.com', 'Jung, Hana'],
      ]),
    );
    expect(busMock).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });

  it('an institution manager invites instructors into their institution', async () => {
    createsUsers();
    const answer = await answerInvitation(
      deps,
      institutionManager,
      { role: 'instructor', institutionId: institution },
      { invitees: [{ email: 'teacher@example.com', name: 'Teacher' }] },
    );
    expect(answer.body.invited).toBe(1);
    // The instructor group follows the core's membership fact, never the invitation.
    expect(cognitoMock).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, {
      UserPoolId: POOL,
      Username: 'sub-teacher@example.com',
      GroupName: 'learner',
    });
    expect(published()[0]).toMatchObject({ role: 'instructor', institutionId: institution });
  });

  it.each([
    ['a company they do not manage', manager, { role: 'employee', companyId: randomUUID() }],
    ['a company they are only an employee of', employee, employees],
    ['a company, as an institution manager', institutionManager, employees],
    [
      'an institution they do not manage',
      institutionManager,
      { role: 'instructor', institutionId: randomUUID() },
    ],
    ['an institution, as a company manager', manager, { role: 'instructor', institutionId: institution }],
  ] as const)('refuses inviting into %s, calling nothing', async (_what, who, target) => {
    createsUsers();
    const refusal = answerInvitation(deps, who, target, {
      invitees: [{ email: 'x@example.com', name: 'X' }],
    });
    await expect(refusal).rejects.toBeInstanceOf(HttpError);
    await expect(refusal).rejects.toMatchObject({ status: 403 });
    expect(cognitoMock.calls()).toHaveLength(0);
    expect(busMock.calls()).toHaveLength(0);
  });

  it('refuses a removed manager', async () => {
    const [sub, place] = [randomUUID(), randomUUID()];
    const store = { ddb, usersTable: tables.users!, cognito, userPoolId: POOL };
    await syncMemberEvent(
      store,
      coreFact('company.member-set', { companyId: place, userSub: sub, role: 'company-manager' }),
    );
    await syncMemberEvent(store, {
      ...coreFact('company.member-removed', { companyId: place, userSub: sub }),
      detail: {
        eventId: 'core-late',
        occurredAt: new Date(NOW.getTime() + 1000).toISOString(),
        companyId: place,
        userSub: sub,
      },
    });
    cognitoMock.reset();
    await expect(
      answerInvitation(
        deps,
        sub,
        { role: 'employee', companyId: place },
        { invitees: [{ email: 'x@example.com', name: 'X' }] },
      ),
    ).rejects.toMatchObject({ status: 403 });
    expect(cognitoMock.calls()).toHaveLength(0);
  });

  it.each([
    [{}, ['body.invitees', 'body.csv']],
    [
      { invitees: [{ email: 'a@example.com', name: 'A' }], csv: 'a@example.com,A' },
      ['body.invitees', 'body.csv'],
    ],
    [{ csv: 'email,name\r\n\r\n' }, ['body.csv']],
    [{ csv: Array.from({ length: 101 }, (_, i) => `p${i}@example.com,P`).join('\n') }, ['body.csv']],
  ])('refuses %#, naming the field, calling nothing', async (request, fields) => {
    const refusal = answerInvitation(deps, manager, employees, request);
    await expect(refusal).rejects.toMatchObject({ status: 400 });
    const error = (await refusal.catch((e: unknown) => e)) as HttpError;
    expect(error.errors?.map((e) => e.field)).toEqual(fields);
    expect(cognitoMock.calls()).toHaveLength(0);
    expect(busMock.calls()).toHaveLength(0);
  });
});

describe('parseInviteeCsv', () => {
  it('reads quoted fields, doubled quotes and a byte-order mark', () => {
    expect(parseInviteeCsv('\uFEFF"a@example.com","O""Neil, Pat"\nb@example.com,B')).toEqual([
      { row: 1, person: { email: 'a@example.com', name: 'O"Neil, Pat' } },
      { row: 2, person: { email: 'b@example.com', name: 'B' } },
    ]);
  });

  it('an unterminated quote is an invalid row, not an exception', () => {
    expect(parseInviteeCsv('"a@example.com,A')).toEqual([
      { row: 1, invalid: [{ field: 'row', message: 'Expected two fields: e-mail address, name' }] },
    ]);
  });
});
