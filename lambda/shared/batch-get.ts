import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';

/*
 * Several items, of one table or several, in as few BatchGetItem calls as DynamoDB allows: a route that needs
 * a handful of independent items pays one round trip instead of one each. Every table here keys its items by
 * `pk` and `sk`.
 */

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export interface ItemRequest {
  readonly table: string;
  readonly key: ItemKey;
  /** A strongly consistent read (the item may have just been written by a concurrent request). */
  readonly consistent?: boolean;
}

/** BatchGetItem takes 100 keys per call. */
const KEYS_PER_CALL = 100;
/** Rounds for the keys DynamoDB leaves unprocessed under load; the SDK has already backed off each call. */
const ROUNDS = 5;

const id = (table: string, key: ItemKey) => JSON.stringify([table, key.pk, key.sk]);

/**
 * The items asked for, in the order asked, `undefined` where there is none. A table read both ways is read
 * consistently. Keys still unprocessed after the retries end the request as DynamoDB's own throttling does
 * (the HTTP wrapper answers 503 with Retry-After).
 */
export async function getItems<T = Record<string, unknown>>(
  ddb: DynamoDBDocumentClient,
  requests: readonly ItemRequest[],
): Promise<(T | undefined)[]> {
  const found = new Map<string, T>();
  // One key once; consistent if any of its requests asks for it.
  const unique = new Map<string, ItemRequest>();
  for (const r of requests) {
    const seen = unique.get(id(r.table, r.key));
    unique.set(id(r.table, r.key), { ...r, consistent: seen?.consistent === true || r.consistent === true });
  }
  const all = [...unique.values()];
  for (let i = 0; i < all.length; i += KEYS_PER_CALL) {
    let pending: BatchGetCommandOutput['UnprocessedKeys'] = {};
    for (const r of all.slice(i, i + KEYS_PER_CALL)) {
      const table = (pending[r.table] ??= { Keys: [], ConsistentRead: false });
      table.Keys!.push({ pk: r.key.pk, sk: r.key.sk });
      table.ConsistentRead ||= r.consistent === true;
    }
    for (let round = 0; pending && Object.keys(pending).length > 0 && round < ROUNDS; round++) {
      const out: BatchGetCommandOutput = await ddb.send(new BatchGetCommand({ RequestItems: pending }));
      for (const [table, items] of Object.entries(out.Responses ?? {})) {
        for (const item of items) found.set(id(table, item as ItemKey), item as T);
      }
      pending = out.UnprocessedKeys;
    }
    if (pending && Object.keys(pending).length > 0) {
      // Named as DynamoDB names the cause, so the request answers 503 with Retry-After.
      throw Object.assign(new Error('DynamoDB left items unread'), {
        name: 'ProvisionedThroughputExceededException',
      });
    }
  }
  return requests.map((r) => found.get(id(r.table, r.key)));
}
