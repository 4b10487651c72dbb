import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** What a custom resource's handler tells CloudFormation. */
export interface CloudFormationResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** PUTs the outcome to the presigned URL CloudFormation waits on. */
export async function respond(
  event: CloudFormationCustomResourceEvent,
  response: CloudFormationResponse,
): Promise<void> {
  const body = JSON.stringify({
    ...response,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  // The URL is presigned without a content type, so none may be sent.
  const result = await fetch(event.ResponseURL, {
    method: 'PUT',
    body,
    headers: { 'content-type': '' },
  });
  if (!result.ok) throw new Error(`CloudFormation refused the response: HTTP ${result.status}`);
}
