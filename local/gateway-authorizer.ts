import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import type { AuthorizerContext } from '#lambda/shared/http-handler';

export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEventV2,
) => Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>>;

export type AuthorizerDecision = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;

export interface GatewayAuthorizerOptions {
  readonly handler: AuthorizerHandler;
  /** The authorizer's `resultsCacheTtl`. */
  readonly cacheSeconds: number;
  /** At most this many identities are remembered; the oldest goes first. @default 10000 */
  readonly maxEntries?: number;
  /** Milliseconds, as Date.now (read at each call, so a test's clock moves it). */
  readonly now?: () => number;
}

/**
 * API Gateway's part around a Lambda authorizer whose identity source is the Cookie header: a request
 * without the header gets 401 and never reaches the authorizer, and a decision is reused for that exact
 * header for the cache's lifetime. Doing the same here means a local run refuses what AWS refuses and
 * keeps answers as long as AWS does (an authorizer reading anything but its identity source would show).
 * A thrown "Unauthorized" is not kept, so a token that failed can be followed by one that works.
 */
export function gatewayAuthorizer(o: GatewayAuthorizerOptions) {
  const maxEntries = o.maxEntries ?? 10_000;
  const now = o.now ?? (() => Date.now());
  const decisions = new Map<string, { decision: AuthorizerDecision; until: number }>();
  return async (
    event: APIGatewayRequestAuthorizerEventV2,
    cookieHeader: string | undefined,
  ): Promise<AuthorizerDecision | 'unauthorized'> => {
    if (!cookieHeader) return 'unauthorized';
    const cached = decisions.get(cookieHeader);
    if (cached && cached.until > now()) return cached.decision;
    let decision: AuthorizerDecision;
    try {
      decision = await o.handler({ ...event, identitySource: [cookieHeader] });
    } catch {
      return 'unauthorized';
    }
    decisions.delete(cookieHeader);
    if (decisions.size >= maxEntries) decisions.delete(decisions.keys().next().value!);
    decisions.set(cookieHeader, { decision, until: now() + o.cacheSeconds * 1000 });
    return decision;
  };
}
