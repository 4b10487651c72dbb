import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './tracer';

/**
 * Created once per execution environment. Locally, AWS_ENDPOINT_URL_DYNAMODB points the same client at
 * DynamoDB Local, so handlers carry no local-only branches.
 */
export const documentClient = (): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
