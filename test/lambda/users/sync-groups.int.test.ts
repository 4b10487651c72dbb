import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  AdminAddUserToGroupCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ENV } from '#contracts/resources';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';
import { overrideEnv } from '../env';

/*
 * The group sync as deployed: its module reads the users table's and the pool's names at load, and its
 * handler takes SQS batches of EventBridge envelopes. Cognito is mocked at its SDK boundary.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
const cognito = mockClient(CognitoIdentityProviderClient);
let tables: Record<string, string>;
let restoreEnv: () => void;
let handler: (event: SQSEvent) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  tables = await createTables(endpoint, `sync-groups-${randomUUID()}-`);
  restoreEnv = overrideEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    [ENV.usersTable]: tables.users!,
    [ENV.userPoolId]: 'ap-northeast-2_DEPLOYED',
  });
  ({ handler } = (await import(join(__dirname, '../../../lambda/users/sync-groups'))) as {
    handler: typeof handler;
  });
});
afterAll(async () => {
  restoreEnv();
  for (const name of Object.values(tables)) await client.send(new DeleteTableCommand({ TableName: name }));
  client.destroy();
});

it('applies a batch from the queue to the configured pool and reports no failure', async () => {
  cognito.on(AdminAddUserToGroupCommand).resolves({});
  const sub = randomUUID();
  const body = JSON.stringify({
    id: randomUUID(),
    source: 'lms.core',
    'detail-type': 'company.member-set',
    time: '2026-12-06T09:00:00Z',
    detail: {
      eventId: 'core-1',
      occurredAt: '2026-12-06T09:00:00Z',
      companyId: randomUUID(),
      userSub: sub,
      role: 'company-manager',
    },
  });
  const result = await handler({ Records: [{ messageId: 'm-1', body }] } as SQSEvent);
  expect(result).toEqual({ batchItemFailures: [] });
  expect(cognito).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, {
    UserPoolId: 'ap-northeast-2_DEPLOYED',
    Username: sub,
    GroupName: 'company-manager',
  });
});
