import { toAutopilotError } from '../errors.js';
import type { FcRequest, Middleware } from './types.js';

/**
 * For asynchronously invoked functions (timer, EventBridge): the invocation fails, so FC's async retry
 * and failure destination see it, but only with a table error — a foreign error's message (which may
 * hold a signed URL) is replaced.
 *
 * @example
 * middy(handler).use(asyncErrorMiddleware());
 */
export function asyncErrorMiddleware(): Middleware {
  return {
    onError: (request: FcRequest) => {
      request.error = toAutopilotError(request.error);
    },
  };
}
