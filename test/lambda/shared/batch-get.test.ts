import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { getItems } from '#lambda/shared/batch-get';
import { isServiceUnavailable } from '#lambda/shared/unavailable';

const ddbMock = mockClient(DynamoDBDocumentClient);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' }));

beforeEach(() => ddbMock.reset());

const lecture = { pk: 'lecture#1', sk: 'meta' };
const seat = { pk: 'lecture#1', sk: 'seat#u1' };
const member = { pk: 'institution#i', sk: 'member#u1' };
const learner = { pk: 'course#c', sk: 'learner#u1' };

describe('getItems', () => {
  it('asks each table once, consistent where asked, and answers in the order asked', async () => {
    ddbMock.on(BatchGetCommand).resolves({
      Responses: {
        live: [
          { ...seat, presenceMs: 5 },
          { ...lecture, state: 'live' },
        ],
        access: [{ ...learner, enrollmentId: 'e1' }],
      },
    });
    const items = await getItems(ddb, [
      { table: 'live', key: lecture, consistent: true },
      { table: 'access', key: member },
      { table: 'access', key: learner },
      { table: 'live', key: seat },
      // The same key twice is asked once and answered twice.
      { table: 'live', key: lecture },
    ]);
    expect(ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input)).toEqual([
      {
        RequestItems: {
          live: { Keys: [lecture, seat], ConsistentRead: true },
          access: { Keys: [member, learner], ConsistentRead: false },
        },
      },
    ]);
    expect(items).toEqual([
      { ...lecture, state: 'live' },
      undefined,
      { ...learner, enrollmentId: 'e1' },
      { ...seat, presenceMs: 5 },
      { ...lecture, state: 'live' },
    ]);
  });

  it('asks again for exactly the keys DynamoDB left unprocessed', async () => {
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { live: [lecture] },
        UnprocessedKeys: { access: { Keys: [member], ConsistentRead: false } },
      })
      .resolvesOnce({ Responses: { access: [{ ...member, role: 'instructor' }] }, UnprocessedKeys: {} });
    const items = await getItems(ddb, [
      { table: 'live', key: lecture, consistent: true },
      { table: 'access', key: member },
    ]);
    expect(ddbMock.commandCalls(BatchGetCommand)[1]!.args[0].input).toEqual({
      RequestItems: { access: { Keys: [member], ConsistentRead: false } },
    });
    expect(items).toEqual([lecture, { ...member, role: 'instructor' }]);
  });

  it('gives up after five rounds as DynamoDB throttling, which routes answer with 503', async () => {
    ddbMock.on(BatchGetCommand).resolves({
      Responses: {},
      UnprocessedKeys: { live: { Keys: [lecture], ConsistentRead: true } },
    });
    const e = await getItems(ddb, [{ table: 'live', key: lecture, consistent: true }]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(ddbMock.commandCalls(BatchGetCommand)).toHaveLength(5);
    expect(e).toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(isServiceUnavailable(e)).toBe(true);
  });

  it('splits more than a hundred keys into calls of a hundred', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: {} });
    const keys = Array.from({ length: 250 }, (_, i) => ({ pk: 'lecture#1', sk: `seat#${i}` }));
    const items = await getItems(
      ddb,
      keys.map((key) => ({ table: 'live', key })),
    );
    expect(
      ddbMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems!.live!.Keys!.length),
    ).toEqual([100, 100, 50]);
    expect(items).toHaveLength(250);
  });
});
