import { Function as CloudFrontFunction, FunctionCode, FunctionRuntime } from 'aws-cdk-lib/aws-cloudfront';
import type { Construct } from 'constructs';

/**
 * The viewer-request handler, in CloudFront Functions' JavaScript (no modules, no imports): a path whose last
 * segment has no file extension is one of the app's screens, which only the app's router knows, so it is
 * answered with index.html; a path to a file reaches the bucket as asked, and a missing file stays an error.
 * Exported so tests can run it on sample events.
 */
export const SPA_ROUTING_CODE = `function handler(event) {
  var request = event.request;
  var lastSegment = request.uri.slice(request.uri.lastIndexOf('/') + 1);
  if (lastSegment.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}
`;

/**
 * Client-side routing on CloudFront: a navigation to any screen gets the app's index.html. A rewrite before
 * the origin rather than custom error responses, which would turn every real 403 and 404 (a missing asset,
 * a missing config.json) into a 200 with the app's HTML.
 */
export class WebSpaRouting extends CloudFrontFunction {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      comment: 'Screens of the web app (paths without a file extension) -> /index.html',
      code: FunctionCode.fromInline(SPA_ROUTING_CODE),
      runtime: FunctionRuntime.JS_2_0,
    });
  }
}
