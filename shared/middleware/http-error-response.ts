import { httpErrorResponse } from '../fc/http.js';
import type { FcRequest, Middleware } from './types.js';

/**
 * Turns any error into the HTTP trigger's response struct from the error table; nothing thrown reaches
 * FC (whose own answer to a throw is unconfirmed).
 *
 * @example
 * middy(handler).use(httpErrorResponseMiddleware());
 */
export function httpErrorResponseMiddleware(): Middleware {
  return {
    onError: (request: FcRequest) => {
      const response = httpErrorResponse(request.error);
      // A HEAD answer has the status and headers only (the event is decoded unless decoding failed).
      const method = (request.event as { method?: unknown } | undefined)?.method;
      request.response = method === 'HEAD' ? { ...response, body: '' } : response;
    },
  };
}
