import { startDynamoDbLocal } from '#local/dynamodb-local';

/**
 * One DynamoDB Local for every integration test file; each file creates its own tables under its own
 * prefix. DYNAMODB_ENDPOINT points at an already running one instead.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DYNAMODB_ENDPOINT) return;
  const dynamo = await startDynamoDbLocal();
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  (globalThis as { __dynamo__?: typeof dynamo }).__dynamo__ = dynamo;
}
