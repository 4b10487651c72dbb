import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ContendedWrite, transactWrite } from '#lambda/shared/transact';
import { isServiceUnavailable } from '#lambda/shared/unavailable';

const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const mock = mockClient(ddb);
const input = {
  TransactItems: [
    { Put: { TableName: 't', Item: { pk: 'a', sk: 'b' }, ConditionExpression: 'attribute_not_exists(pk)' } },
    {
      Update: {
        TableName: 't',
        Key: { pk: 'a', sk: 'meta' },
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': 1 },
      },
    },
  ],
};
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

let sleeps: number[];
const deps = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 };

beforeEach(() => {
  mock.reset();
  sleeps = [];
});

describe('transactWrite', () => {
  it('retries a transaction another one conflicted with, pausing longer each time, until it applies', async () => {
    mock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'TransactionConflict'))
      .rejectsOnce(cancelled('TransactionConflict', 'None'))
      .resolves({});
    expect(await transactWrite(ddb, input, deps)).toBeUndefined();
    expect(mock).toHaveReceivedCommandTimes(TransactWriteCommand, 3);
    // The same transaction each time, exactly as asked.
    expect(mock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input)).toEqual([
      input,
      input,
      input,
    ]);
    expect(sleeps).toEqual([10, 20]);
  });

  it('answers the items whose conditions failed, without retrying', async () => {
    mock.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'TransactionConflict'));
    expect(await transactWrite(ddb, input, deps)).toEqual([0]);
    expect(mock).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it('gives up after eight conflicts as a busy write, and passes other errors on', async () => {
    mock.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'));
    await expect(transactWrite(ddb, input, deps)).rejects.toBeInstanceOf(ContendedWrite);
    expect(mock).toHaveReceivedCommandTimes(TransactWriteCommand, 8);
    expect(sleeps).toEqual([10, 20, 40, 80, 160, 320, 640]);
    mock.reset();
    mock.on(TransactWriteCommand).rejects(cancelled('ValidationError'));
    await expect(transactWrite(ddb, input, deps)).rejects.toBeInstanceOf(TransactionCanceledException);
  });

  it('makes a plain write refused for a transaction in flight a busy service, not a bug', () => {
    const e = Object.assign(new Error('Transaction is ongoing for the item'), {
      name: 'TransactionConflictException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(isServiceUnavailable(e)).toBe(true);
    expect(isServiceUnavailable(new ContendedWrite(e))).toBe(true);
  });
});
