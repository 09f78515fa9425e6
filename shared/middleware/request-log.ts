import { toAutopilotError } from '../errors.js';
import { logger, unpinLogLevel } from '../log.js';
import type { FcRequest, Middleware } from './types.js';

/**
 * One log line per invocation: function, request id, duration and outcome (an error's code only,
 * never a foreign message).
 *
 * @example
 * middy(handler).use(requestLog());
 */
export function requestLog(): Middleware {
  const fields = (request: FcRequest) => ({
    function: request.invocation?.functionName,
    requestId: request.invocation?.requestId,
    ms: request.invocation ? Date.now() - request.invocation.startedAt : undefined,
  });
  return {
    // The invocation's last line: the LOG_LEVEL reading it pinned (shared/handler.ts) ends with it.
    after: (request: FcRequest) => {
      try {
        // Debug only: the fields are not even built on the (usual) info level.
        if (logger.enabled('debug')) {
          const status = (request.response as { statusCode?: unknown } | undefined)?.statusCode;
          logger.debug('invocation done', {
            ...fields(request),
            ...(typeof status === 'number' && { status }),
          });
        }
      } finally {
        unpinLogLevel(request);
      }
    },
    onError: (request: FcRequest) => {
      try {
        const error = toAutopilotError(request.error);
        const log = error.status >= 500 ? logger.error : logger.warn;
        log('invocation failed', { ...fields(request), error: error.toLog() });
      } finally {
        unpinLogLevel(request);
      }
    },
  };
}
