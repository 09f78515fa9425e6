import middy from '@middy/core';
import type { FcContext, Invocation } from './fc/context.js';
import { pinLogLevel } from './log.js';
import { asyncErrorMiddleware } from './middleware/async-error.js';
import { decodeEvent } from './middleware/decode-event.js';
import { httpErrorResponseMiddleware } from './middleware/http-error-response.js';
import { invocationContext } from './middleware/invocation-context.js';
import { requestLog } from './middleware/request-log.js';
import type { Middleware } from './middleware/types.js';

/** An FC handler as the nodejs20 runtime calls it: the event is a Buffer. */
export type FcHandler<R> = (event: Buffer | unknown, context: FcContext) => Promise<R>;

export interface FunctionSpec<E, R> {
  /** The trigger adapter: raw Buffer → decoded event. */
  readonly decode: (raw: unknown) => E;
  /** `http`: errors become a response; `async`: errors fail the invocation (FC retries). */
  readonly errors: 'http' | 'async';
  /** The one use case this function runs. */
  readonly run: (event: E, invocation: Invocation) => Promise<R>;
}

/**
 * The stack, decided once for every function: invocation facts → request log → decode → use case,
 * with one error translator per trigger kind. Middy runs `before` in order and `onError` in reverse.
 */
export function createFcHandler<E, R>(spec: FunctionSpec<E, R>): FcHandler<R> {
  const errorTranslator = spec.errors === 'http' ? httpErrorResponseMiddleware() : asyncErrorMiddleware();
  const stack: Middleware[] = [errorTranslator, invocationContext(), requestLog(), decodeEvent(spec.decode)];
  // The invocation facts reach the base handler keyed by the decoded event (a new object per request):
  // copying or subclassing FC's context on every request cost more than the rest of the stack.
  const invocations = new WeakMap<object, Invocation>();
  const base = async (event: unknown, context: FcContext & { invocation?: Invocation }) =>
    spec.run(
      event as E,
      (typeof event === 'object' && event !== null && invocations.get(event)) ||
        (context.invocation as Invocation),
    );
  const handler = middy(base as never, { timeoutEarlyInMillis: 0 });
  handler.use([
    ...(stack as never[]),
    {
      before: (request: { event: unknown; context: Record<string, unknown>; invocation?: Invocation }) => {
        const { event, invocation } = request;
        // LOG_LEVEL is read once for the invocation, not once per line; requestLog's last phase ends it.
        pinLogLevel(request);
        if (invocation === undefined) return;
        if (typeof event === 'object' && event !== null) invocations.set(event, invocation);
        else request.context = { ...request.context, invocation };
      },
    } as never,
  ]);
  return handler as unknown as FcHandler<R>;
}
