import { toInvocation } from '../fc/context.js';
import type { FcRequest, Middleware } from './types.js';

/**
 * Derives the invocation facts (request id, deadline from the function timeout, raw credentials) once,
 * before anything else runs.
 *
 * @example
 * middy(handler).use(invocationContext());
 */
export function invocationContext(options: { now?: () => number } = {}): Middleware {
  const now = options.now ?? Date.now;
  return {
    before: (request: FcRequest) => {
      request.invocation = toInvocation(request.context, now());
    },
  };
}
