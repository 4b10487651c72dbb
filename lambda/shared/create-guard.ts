import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeyHeaders } from '#contracts/idempotency-key';
import { parseInput } from '#contracts/problem';
import { derivedUuid } from './derived-id';
import { conflict } from './domain-error';

/*
 * Creates made once per idempotency key. The thing a create makes keeps its time-ordered id (listings sort by
 * it), so the key cannot be its id; instead a guard item whose key is derived from (kind, caller, key) is put
 * with `attribute_not_exists` in the same transaction as the create's own writes. Of any number of attempts,
 * concurrent or not, one transaction wins: one item, each counter moved once. The others find the guard, and
 * with it the id the winner made. Guards are kept, so a key keeps its meaning as long as its thing exists.
 */

/** The key a create came with, if any; a malformed one is refused with 400 naming `headers.idempotency-key`. */
export function idempotencyKeyOf(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  return parseInput(idempotencyKeyHeaders, 'headers', headers)[IDEMPOTENCY_KEY_HEADER];
}

/** What one key of one caller is for: a kind of create (`board-post`). */
export interface OnceKey {
  readonly kind: string;
  readonly sub: string;
  readonly key: string;
}

interface GuardItem {
  readonly kind: string;
  readonly ownerSub: string;
  readonly fingerprint: string;
  readonly createdId: string;
  readonly createdAt: string;
}

const HEADER_FIELD = `headers.${IDEMPOTENCY_KEY_HEADER}`;

/** JSON with object keys sorted, so the same request fingerprints the same whatever its key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class CreateGuard {
  readonly key: { readonly pk: string; readonly sk: string };
  private readonly fingerprint: string;

  /** `request` is everything the create was asked (validated body and path), compared on a retry. */
  constructor(
    private readonly table: string,
    private readonly once: OnceKey,
    request: unknown,
  ) {
    this.key = { pk: `idempotency#${derivedUuid(once.kind, once.sub, once.key)}`, sk: 'meta' };
    this.fingerprint = createHash('sha256').update(canonicalJson(request)).digest('hex');
  }

  /** The guard's write, first in the create's transaction: it fails, and with it the whole create, on a retry. */
  put(createdId: string, createdAt: string) {
    const item: GuardItem = {
      kind: this.once.kind,
      ownerSub: this.once.sub,
      fingerprint: this.fingerprint,
      createdId,
      createdAt,
    };
    return {
      Put: {
        TableName: this.table,
        Item: { ...this.key, ...item },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /**
   * The id the key's first create made, after this attempt's guard write failed; 409 naming the header when
   * the key was first used for another request.
   */
  async firstCreated(ddb: DynamoDBDocumentClient): Promise<string> {
    const { Item } = await ddb.send(
      new GetCommand({ TableName: this.table, Key: this.key, ConsistentRead: true }),
    );
    const guard = Item as GuardItem | undefined;
    if (
      !guard ||
      guard.kind !== this.once.kind ||
      guard.ownerSub !== this.once.sub ||
      guard.fingerprint !== this.fingerprint
    ) {
      throw conflict('This idempotency key was used for another request', {
        field: HEADER_FIELD,
        message: 'already used for a different request; send a new key for a new one',
      });
    }
    return guard.createdId;
  }
}

/** A retry whose first create made a thing since removed: there is nothing to answer with, and nothing to make. */
export const createdThenRemoved = (what: string) =>
  conflict(`The ${what} this idempotency key created has since been removed`, {
    field: HEADER_FIELD,
    message: `its ${what} was removed; send a new key to create another`,
  });
