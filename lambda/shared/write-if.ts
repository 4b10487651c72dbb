import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Sends a conditional write and says whether it was applied: false when its condition did not hold, which
 * for the many "only if nobody changed it meanwhile" writes is an answer, not an error. Other errors go on.
 */
export async function writeIf(
  ddb: DynamoDBDocumentClient,
  command: PutCommand | UpdateCommand | DeleteCommand,
): Promise<boolean> {
  try {
    // The document client's overloads take one command type at a time.
    await ddb.send(command as UpdateCommand);
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}
