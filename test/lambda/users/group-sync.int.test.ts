import { randomUUID } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  TooManyRequestsException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { type GroupSyncDeps, membershipKey, syncMemberEvent } from '#lambda/users/memberships';
import { syncBatch } from '#lambda/users/member-batch';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';

/*
 * Roles follow memberships: the consumer's domain against a users table in DynamoDB Local, with Cognito
 * mocked at the SDK boundary so every admin call's exact input is seen.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
const ddb = DynamoDBDocumentClient.from(client);
const cognito = new CognitoIdentityProviderClient({ region: LOCAL_AWS.region });
const cognitoMock = mockClient(cognito);
const POOL = 'ap-northeast-2_TESTPOOL';
let tables: Record<string, string>;
let deps: GroupSyncDeps;

beforeAll(async () => {
  tables = await createTables(endpoint, `users-${randomUUID()}-`);
  deps = { ddb, usersTable: tables.users!, cognito, userPoolId: POOL };
});

afterAll(async () => {
  for (const name of Object.values(tables)) await client.send(new DeleteTableCommand({ TableName: name }));
  client.destroy();
});

beforeEach(() => {
  cognitoMock.reset();
});

const T0 = Date.parse('2026-12-01T09:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function envelope(type: string, detail: Record<string, unknown>) {
  return {
    version: '0',
    id: randomUUID(),
    source: 'lms.core',
    'detail-type': type,
    account: '111122223333',
    time: new Date().toISOString(),
    region: LOCAL_AWS.region,
    resources: [],
    detail: { eventId: `core-${randomUUID()}`, ...detail },
  };
}
const institutionSet = (institutionId: string, userSub: string, role: string, minutes: number) =>
  envelope('institution.member-set', { institutionId, userSub, role, occurredAt: at(minutes) });
const institutionRemoved = (institutionId: string, userSub: string, minutes: number) =>
  envelope('institution.member-removed', { institutionId, userSub, occurredAt: at(minutes) });
const companySet = (companyId: string, userSub: string, role: string, minutes: number) =>
  envelope('company.member-set', { companyId, userSub, role, occurredAt: at(minutes) });
const companyRemoved = (companyId: string, userSub: string, minutes: number) =>
  envelope('company.member-removed', { companyId, userSub, occurredAt: at(minutes) });

const add = (sub: string, group: string) => ({ UserPoolId: POOL, Username: sub, GroupName: group });

describe('group sync', () => {
  it('adds the group of an institution role, and nothing else', async () => {
    const sub = randomUUID();
    const result = await syncMemberEvent(deps, institutionSet(randomUUID(), sub, 'instructor', 0));
    expect(result).toMatchObject({
      outcome: 'applied',
      added: ['instructor'],
      removed: [],
      signedOut: false,
    });
    expect(cognitoMock).toHaveReceivedCommandTimes(AdminAddUserToGroupCommand, 1);
    expect(cognitoMock).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, add(sub, 'instructor'));
    expect(cognitoMock).not.toHaveReceivedCommand(AdminRemoveUserFromGroupCommand);
    expect(cognitoMock).not.toHaveReceivedCommand(AdminUserGlobalSignOutCommand);
  });

  it('maps company roles: company-manager to its group, employee to learner', async () => {
    const [manager, employee, company] = [randomUUID(), randomUUID(), randomUUID()];
    await syncMemberEvent(deps, companySet(company, manager, 'company-manager', 0));
    await syncMemberEvent(deps, companySet(company, employee, 'employee', 0));
    expect(cognitoMock.commandCalls(AdminAddUserToGroupCommand).map((c) => c.args[0].input)).toEqual([
      add(manager, 'company-manager'),
      add(employee, 'learner'),
    ]);
  });

  it('removes the group and signs the person out everywhere when the membership ends', async () => {
    const [sub, institution] = [randomUUID(), randomUUID()];
    await syncMemberEvent(deps, institutionSet(institution, sub, 'institution-manager', 0));
    cognitoMock.reset();
    const result = await syncMemberEvent(deps, institutionRemoved(institution, sub, 1));
    expect(result).toMatchObject({ outcome: 'applied', removed: ['institution-manager'], signedOut: true });
    expect(cognitoMock).toHaveReceivedCommandTimes(AdminRemoveUserFromGroupCommand, 1);
    expect(cognitoMock).toHaveReceivedCommandWith(
      AdminRemoveUserFromGroupCommand,
      add(sub, 'institution-manager'),
    );
    expect(cognitoMock).toHaveReceivedCommandWith(AdminUserGlobalSignOutCommand, {
      UserPoolId: POOL,
      Username: sub,
    });
    expect(cognitoMock).not.toHaveReceivedCommand(AdminAddUserToGroupCommand);
  });

  it('ignores a late set older than the removal: the role is not restored', async () => {
    const [sub, institution] = [randomUUID(), randomUUID()];
    await syncMemberEvent(deps, institutionSet(institution, sub, 'instructor', 0));
    await syncMemberEvent(deps, institutionRemoved(institution, sub, 10));
    cognitoMock.reset();
    const late = await syncMemberEvent(deps, institutionSet(institution, sub, 'instructor', 5));
    expect(late.outcome).toBe('stale');
    expect(cognitoMock.calls()).toHaveLength(0);
    const { Item } = await ddb.send(
      new GetCommand({ TableName: deps.usersTable, Key: membershipKey(sub, `institution#${institution}`) }),
    );
    expect(Item).toMatchObject({ removed: true, occurredAt: at(10) });
  });

  it('a removal arriving before its older set: the set stays ignored', async () => {
    const [sub, company] = [randomUUID(), randomUUID()];
    const removal = await syncMemberEvent(deps, companyRemoved(company, sub, 10));
    // Never seen before: the removal takes the company's privileged group (learner is kept).
    expect(removal).toMatchObject({ removed: ['company-manager'], signedOut: true });
    expect(cognitoMock).toHaveReceivedCommandWith(
      AdminRemoveUserFromGroupCommand,
      add(sub, 'company-manager'),
    );
    cognitoMock.reset();
    expect((await syncMemberEvent(deps, companySet(company, sub, 'company-manager', 0))).outcome).toBe(
      'stale',
    );
    expect(cognitoMock.calls()).toHaveLength(0);
  });

  it('a duplicate delivery repeats the same idempotent Cognito calls and changes nothing else', async () => {
    const [sub, institution] = [randomUUID(), randomUUID()];
    const set = institutionSet(institution, sub, 'instructor', 0);
    await syncMemberEvent(deps, set);
    await syncMemberEvent(deps, set);
    expect(cognitoMock.commandCalls(AdminAddUserToGroupCommand).map((c) => c.args[0].input)).toEqual([
      add(sub, 'instructor'),
      add(sub, 'instructor'),
    ]);
    const removal = institutionRemoved(institution, sub, 1);
    cognitoMock.reset();
    await syncMemberEvent(deps, removal);
    await syncMemberEvent(deps, removal);
    // The retried removal still knows which group the scope held, so a first try that failed at Cognito
    // after the write is finished by the second.
    expect(cognitoMock.commandCalls(AdminRemoveUserFromGroupCommand).map((c) => c.args[0].input)).toEqual([
      add(sub, 'instructor'),
      add(sub, 'instructor'),
    ]);
    expect(cognitoMock).toHaveReceivedCommandTimes(AdminUserGlobalSignOutCommand, 2);
  });

  it('finishes on retry a removal whose Cognito call failed after the write', async () => {
    const [sub, institution] = [randomUUID(), randomUUID()];
    await syncMemberEvent(deps, institutionSet(institution, sub, 'institution-manager', 0));
    const removal = institutionRemoved(institution, sub, 1);
    cognitoMock
      .on(AdminRemoveUserFromGroupCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves({});
    await expect(syncMemberEvent(deps, removal)).rejects.toThrow('Rate exceeded');
    const retry = await syncMemberEvent(deps, removal);
    expect(retry).toMatchObject({ outcome: 'applied', removed: ['institution-manager'], signedOut: true });
    expect(cognitoMock).toHaveReceivedCommandTimes(AdminUserGlobalSignOutCommand, 1);
  });

  it('keeps a group another scope still grants, and still signs the person out', async () => {
    const [sub, first, second] = [randomUUID(), randomUUID(), randomUUID()];
    await syncMemberEvent(deps, institutionSet(first, sub, 'instructor', 0));
    await syncMemberEvent(deps, institutionSet(second, sub, 'instructor', 0));
    cognitoMock.reset();
    const result = await syncMemberEvent(deps, institutionRemoved(first, sub, 1));
    expect(result).toMatchObject({ removed: [], signedOut: true });
    expect(cognitoMock).not.toHaveReceivedCommand(AdminRemoveUserFromGroupCommand);
  });

  it('a role change takes the former group away and signs out', async () => {
    const [sub, institution] = [randomUUID(), randomUUID()];
    await syncMemberEvent(deps, institutionSet(institution, sub, 'institution-manager', 0));
    cognitoMock.reset();
    const result = await syncMemberEvent(deps, institutionSet(institution, sub, 'instructor', 1));
    expect(result).toMatchObject({
      added: ['instructor'],
      removed: ['institution-manager'],
      signedOut: true,
    });
    expect(cognitoMock).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, add(sub, 'instructor'));
    expect(cognitoMock).toHaveReceivedCommandWith(
      AdminRemoveUserFromGroupCommand,
      add(sub, 'institution-manager'),
    );
  });

  it('never takes learner away from a removed employee', async () => {
    const [sub, company] = [randomUUID(), randomUUID()];
    await syncMemberEvent(deps, companySet(company, sub, 'employee', 0));
    cognitoMock.reset();
    const result = await syncMemberEvent(deps, companyRemoved(company, sub, 1));
    expect(result).toMatchObject({ removed: [], signedOut: true });
    expect(cognitoMock).not.toHaveReceivedCommand(AdminRemoveUserFromGroupCommand);
    expect(cognitoMock).toHaveReceivedCommandWith(AdminUserGlobalSignOutCommand, {
      UserPoolId: POOL,
      Username: sub,
    });
  });

  it('concurrent deliveries for one person and place converge on the newest fact', async () => {
    const [sub, institution] = [randomUUID(), randomUUID()];
    // Sets at even minutes, removals at odd ones, the newest (minute 9) a removal; delivered all at once in
    // a scrambled order, and what a delivery gave up on delivered again, as SQS does.
    const facts = [7, 2, 9, 0, 5, 3, 8, 1, 6, 4].map((m) =>
      m % 2 === 0
        ? institutionSet(institution, sub, 'instructor', m)
        : institutionRemoved(institution, sub, m),
    );
    const results = await Promise.allSettled(facts.map((f) => syncMemberEvent(deps, f)));
    for (const [i, r] of results.entries())
      if (r.status === 'rejected') await syncMemberEvent(deps, facts[i]!);
    const { Item } = await ddb.send(
      new GetCommand({
        TableName: deps.usersTable,
        Key: membershipKey(sub, `institution#${institution}`),
        ConsistentRead: true,
      }),
    );
    expect(Item).toMatchObject({ removed: true, occurredAt: at(9) });
    // A late set now changes nothing.
    cognitoMock.reset();
    expect((await syncMemberEvent(deps, institutionSet(institution, sub, 'instructor', 8))).outcome).toBe(
      'stale',
    );
    expect(cognitoMock.calls()).toHaveLength(0);
  });

  it('a sub the pool does not know is logged and dropped, not retried', async () => {
    cognitoMock
      .on(AdminAddUserToGroupCommand)
      .rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));
    const result = await syncMemberEvent(deps, institutionSet(randomUUID(), randomUUID(), 'instructor', 0));
    expect(result.outcome).toBe('no-such-user');
  });
});

describe('the consumer batch', () => {
  const record = (body: string) => ({ messageId: randomUUID(), body }) as SQSEvent['Records'][number];

  it('reports only the failed messages: malformed, not a member fact, and a Cognito error', async () => {
    cognitoMock.on(AdminAddUserToGroupCommand).callsFake((input: { GroupName: string }) => {
      if (input.GroupName === 'company-manager') throw new Error('Cognito is down');
      return {};
    });
    const good = record(JSON.stringify(institutionSet(randomUUID(), randomUUID(), 'instructor', 0)));
    const notJson = record('{');
    const other = record(
      JSON.stringify({ ...institutionSet(randomUUID(), randomUUID(), 'instructor', 0), source: 'lms.vod' }),
    );
    const badDetail = record(JSON.stringify(companySet(randomUUID(), randomUUID(), 'owner', 0)));
    const failing = record(JSON.stringify(companySet(randomUUID(), randomUUID(), 'company-manager', 0)));
    const result = await syncBatch(deps, { Records: [good, notJson, other, badDetail, failing] });
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      notJson.messageId,
      other.messageId,
      badDetail.messageId,
      failing.messageId,
    ]);
  });
});
