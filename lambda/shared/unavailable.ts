/** Error names of AWS services that are busy or throttling us, across the SDK's clients. */
const BUSY = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
  'SlowDown',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  // A plain write that met a transaction in flight on its item (a post's counters while readers are counted):
  // DynamoDB refuses it rather than wait, and the SDK does not retry it.
  'TransactionConflictException',
]);

/** Socket errors of a service endpoint that could not be reached. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * Whether a failed AWS call means "try again later" rather than a bug: throttling once the SDK's own retries
 * are used up, a service's 5xx, or a network failure. Such a request answers 503, and the domain code has
 * already undone what it started (or wrote nothing, in one conditional write).
 */
export function isServiceUnavailable(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const error = e as {
    name?: string;
    code?: string;
    $retryable?: { throttling?: boolean };
    $metadata?: { httpStatusCode?: number };
  };
  if (error.$retryable?.throttling) return true;
  if (error.name && BUSY.has(error.name)) return true;
  if ((error.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return Boolean(error.code && NETWORK.has(error.code));
}

/**
 * A "try again later" in the platform's own words (a lecture's seats contended, IVS throttling, a channel's
 * metadata queue full): the HTTP wrapper answers 503 with this message and Retry-After, so a screen can say
 * what is busy and when to try again, instead of the generic problem it gives for a busy AWS service.
 */
export class Busy extends Error {
  readonly $retryable = { throttling: true };
  constructor(
    message: string,
    /** When trying again makes sense; the wrapper's default when not given. */
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'Busy';
  }
}
