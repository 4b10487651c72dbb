import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { logger } from './observability';

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

/**
 * Runs a custom resource's request and tells CloudFormation how it went, whatever happens: a handler that
 * throws without answering leaves the stack waiting until its timeout. A failure is logged with its error and
 * answered with the message only (never key material), under the resource's own physical id or, for a create
 * that failed, `<kind>-failed-<request id>`.
 */
export async function answerCloudFormation(
  event: CloudFormationCustomResourceEvent,
  kind: string,
  run: () => Promise<{ readonly physicalResourceId: string; readonly data?: Record<string, string> }>,
): Promise<void> {
  let response: CloudFormationResponse;
  try {
    const { physicalResourceId, data } = await run();
    response = { Status: 'SUCCESS', PhysicalResourceId: physicalResourceId, ...(data ? { Data: data } : {}) };
  } catch (e) {
    logger.error(`The ${kind} request failed`, { requestType: event.RequestType, error: e as Error });
    response = {
      Status: 'FAILED',
      Reason: (e as Error).message.slice(0, 500),
      PhysicalResourceId:
        'PhysicalResourceId' in event ? event.PhysicalResourceId : `${kind}-failed-${event.RequestId}`,
    };
  }
  await respond(event, response);
}
