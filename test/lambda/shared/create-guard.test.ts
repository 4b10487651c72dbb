import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { HttpError } from '#contracts/problem';
import { CreateGuard, idempotencyKeyOf } from '#lambda/shared/create-guard';
import { derivedUuid } from '#lambda/shared/derived-id';
import { Refused } from '#lambda/shared/domain-error';

const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const mock = mockClient(ddb);
beforeEach(() => mock.reset());

const once = { kind: 'board-post', sub: 'user-1', key: 'k-1' };

describe('idempotencyKeyOf', () => {
  it('reads the header, or nothing without it', () => {
    expect(idempotencyKeyOf({ 'idempotency-key': 'A-z_09' })).toBe('A-z_09');
    expect(idempotencyKeyOf({ 'idempotency-key': 'k'.repeat(64) })).toBe('k'.repeat(64));
    expect(idempotencyKeyOf({ 'content-type': 'application/json' })).toBeUndefined();
  });

  it.each(['', 'k'.repeat(65), 'a b', 'a,b', 'é'])('refuses %j with 400 naming the header', (key) => {
    let thrown: unknown;
    try {
      idempotencyKeyOf({ 'idempotency-key': key });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(HttpError);
    expect((thrown as HttpError).status).toBe(400);
    expect((thrown as HttpError).errors?.map((e) => e.field)).toEqual(['headers.idempotency-key']);
  });
});

describe('CreateGuard', () => {
  it('puts its guard under a key derived from kind, caller and key, only if absent', () => {
    const put = new CreateGuard('board', once, { title: 'T', body: 'B' }).put(
      'post-1',
      '2026-12-06T00:00:00.000Z',
    );
    expect(put).toEqual({
      Put: {
        TableName: 'board',
        Item: {
          pk: `idempotency#${derivedUuid('board-post', 'user-1', 'k-1')}`,
          sk: 'meta',
          kind: 'board-post',
          ownerSub: 'user-1',
          fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
          createdId: 'post-1',
          createdAt: '2026-12-06T00:00:00.000Z',
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    const otherKind = new CreateGuard('board', { ...once, kind: 'board-comment' }, {});
    const otherCaller = new CreateGuard('board', { ...once, sub: 'user-2' }, {});
    expect(new Set([put.Put.Item.pk, otherKind.key.pk, otherCaller.key.pk]).size).toBe(3);
  });

  it('answers the first create’s id for the same request, whatever its key order', async () => {
    const first = new CreateGuard('board', once, { title: 'T', videoAt: { second: 1, contentId: 'c' } });
    mock.on(GetCommand).resolves({ Item: first.put('post-1', 'at').Put.Item });
    const retry = new CreateGuard('board', once, { videoAt: { contentId: 'c', second: 1 }, title: 'T' });
    await expect(retry.firstCreated(ddb)).resolves.toBe('post-1');
    expect(mock).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'board',
      Key: first.key,
      ConsistentRead: true,
    });
  });

  it('refuses another request under the same key with a conflict naming the header', async () => {
    const first = new CreateGuard('board', once, { title: 'T' });
    mock.on(GetCommand).resolves({ Item: first.put('post-1', 'at').Put.Item });
    const other = new CreateGuard('board', once, { title: 'U' });
    await expect(other.firstCreated(ddb)).rejects.toMatchObject({
      kind: 'conflict',
      fields: [{ field: 'headers.idempotency-key', message: expect.any(String) }],
    });
    await expect(other.firstCreated(ddb)).rejects.toBeInstanceOf(Refused);
  });
});
