import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { canManageContent, canWatchContent } from '#lambda/access/access';
import { ENV, EVENTS } from '#contracts/resources';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { startLocalPlatform, type LocalPlatform } from '#local/platform';
import { testDatabase, type TestDatabase } from '../../service/test-database';

/* The local runner keeps the access table from its bus as the access stack does from EventBridge. */

let platform: LocalPlatform;
let database: TestDatabase;
const client = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS });
const ddb = DynamoDBDocumentClient.from(client);
const savedEnv = { ...process.env };

beforeAll(async () => {
  database = await testDatabase('local_access');
  platform = await startLocalPlatform({
    database: database.db,
    dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
    port: 0,
    host: '127.0.0.1',
    tablePrefix: `access-local-${process.pid}-`,
    log: () => undefined,
  });
});
afterAll(async () => {
  await platform.close();
  await database.close();
  client.destroy();
  // The runner sets the handlers' environment for the whole process.
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
});

const fact = (detailType: string, detail: Record<string, unknown>, occurredAt: string) => ({
  source: EVENTS.sources.core,
  detailType,
  detail: { eventId: randomUUID(), occurredAt, ...detail },
  time: new Date(occurredAt),
});

it('applies the core facts published on the local bus to the access table', async () => {
  const table = platform.tables.access!;
  expect(process.env[ENV.accessTable]).toBe(table);
  const institutionId = randomUUID();
  const content = { contentId: randomUUID(), courseId: randomUUID(), institutionId };
  const [instructor, learner] = ['instructor-sub', 'learner-sub'];
  await platform.bus.publish([
    fact(
      'institution.member-set',
      { institutionId, userSub: instructor, role: 'instructor' },
      '2026-12-01T09:00:00Z',
    ),
    fact('content.set', { ...content, kind: 'video', state: 'active' }, '2026-12-01T09:01:00Z'),
    fact(
      'enrollment.created',
      { enrollmentId: randomUUID(), provisionId: randomUUID(), courseId: content.courseId, userSub: learner },
      '2026-12-01T09:02:00Z',
    ),
  ]);
  await platform.bus.settled();
  expect(await canManageContent(ddb, table, instructor, content.contentId)).toBe(true);
  expect(await canWatchContent(ddb, table, learner, content.contentId)).toBe(true);
  expect(await canManageContent(ddb, table, learner, content.contentId)).toBe(false);

  await platform.bus.publish([
    fact('institution.member-removed', { institutionId, userSub: instructor }, '2026-12-01T09:03:00Z'),
  ]);
  await platform.bus.settled();
  expect(await canManageContent(ddb, table, instructor, content.contentId)).toBe(false);
});
