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
      request.response = httpErrorResponse(request.error);
    },
  };
}
