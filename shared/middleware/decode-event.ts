import type { FcRequest, Middleware } from './types.js';

/**
 * Replaces the raw FC event (a Buffer) with what the trigger's adapter decodes from it; an adapter
 * error goes to the error translator like any other.
 *
 * @example
 * middy(handler).use(decodeEvent(decodeTimerEvent));
 */
export function decodeEvent(decode: (raw: unknown) => unknown): Middleware {
  return {
    before: (request: FcRequest) => {
      request.event = decode(request.event);
    },
  };
}
