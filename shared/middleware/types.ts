import type { FcContext, Invocation } from '../fc/context.js';

/** The structural request every middleware of ours works on (a middy request plus our invocation). */
export interface FcRequest {
  event: unknown;
  context: FcContext;
  response: unknown;
  error: unknown;
  internal: Record<string, unknown>;
  invocation?: Invocation;
}

export interface Middleware {
  before?: (request: FcRequest) => unknown;
  after?: (request: FcRequest) => unknown;
  onError?: (request: FcRequest) => unknown;
}
