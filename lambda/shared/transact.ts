import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Busy } from './unavailable';

/*
 * A transaction whose items other requests write at the same time (a post's counters). DynamoDB cancels,
 * rather than queues, a transaction that meets another on one of its items (`TransactionConflict`), and the
 * SDK does not retry a cancelled transaction; so this tries again after a jittered, growing pause.
 */

export interface RetryDeps {
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

type TransactInput = ConstructorParameters<typeof TransactWriteCommand>[0];

/** The first retry's longest pause, doubled on each retry after it. */
const FIRST_PAUSE_MS = 20;
const ATTEMPTS = 8;

/** Conflicting writes kept winning: the HTTP wrapper answers 503 with Retry-After, and nothing was written. */
export class ContendedWrite extends Busy {
  constructor(cause: unknown) {
    super('Too many concurrent writes to this item; try again shortly', 1, { cause });
    this.name = 'ContendedWrite';
  }
}

/**
 * Writes the transaction, and answers `undefined` when it was applied, or the index of each item whose
 * condition failed (none of the transaction was applied then).
 */
export async function transactWrite(
  ddb: DynamoDBDocumentClient,
  input: TransactInput,
  deps: RetryDeps,
): Promise<number[] | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ddb.send(new TransactWriteCommand(input));
      return undefined;
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      const codes = (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      const failed = codes.flatMap((code, i) => (code === 'ConditionalCheckFailed' ? [i] : []));
      if (failed.length > 0) return failed;
      if (!codes.includes('TransactionConflict')) throw e;
      if (attempt === ATTEMPTS) throw new ContendedWrite(e);
      await deps.sleep(Math.ceil(deps.random() * FIRST_PAUSE_MS * 2 ** (attempt - 1)));
    }
  }
}
