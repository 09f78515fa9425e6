import { AutopilotError, type UpstreamInfo } from '../errors.js';

/** What FC answered when it accepted an asynchronous invocation. */
export interface InvokeReceipt {
  /** FC's `x-fc-request-id` of the accepted invocation, when it sent one. */
  readonly requestId?: string;
  /** FC already holds an invocation with this task id (HTTP 409): accepted earlier, not run again. */
  readonly duplicate?: true;
}

export interface InvokeOptions {
  /**
   * Async task id (FC 3.0 `x-fc-async-task-id`, FC 2.0 `x-fc-stateful-async-invocation-id`): FC refuses
   * a second invocation with the same id (409), which the invoker reports as a `duplicate` receipt.
   */
  readonly taskId?: string;
}

/**
 * Submits one asynchronous invocation (`x-fc-invocation-type: Async`) of a fixed target function.
 * Resolves once FC accepted the event (HTTP 202): from then on FC owns it — its async retries and
 * failure destination apply to that invocation alone. Rejects with FANOUT_UNAVAILABLE (retryable:
 * throttled, 5xx, network, timeout) or FANOUT_REJECTED (FC refused: permissions, unknown function,
 * bad configuration).
 */
export interface Invoker {
  /** Which FC API it speaks: `fc2` (2016-08-15, `@alicloud/fc2`) or `fc3` (2023-03-30 InvokeFunction). */
  readonly kind: 'fc2' | 'fc3';
  /** The function it invokes, for logs. */
  readonly target: string;
  invokeAsync(event: Buffer, options?: InvokeOptions): Promise<InvokeReceipt>;
}

/** The error an invoker rejects with for an HTTP answer other than 202 (never FC's message text). */
export function invokeHttpError(status: number, upstream: Omit<UpstreamInfo, 'httpStatus'>): AutopilotError {
  const retryable = status === 429 || status >= 500;
  const info: UpstreamInfo = { ...upstream, httpStatus: status };
  return retryable
    ? new AutopilotError('FANOUT_UNAVAILABLE', { upstream: info })
    : new AutopilotError('FANOUT_REJECTED', {
        message: `FC refused the shard invocation (HTTP ${status}${upstream.code ? ` ${upstream.code}` : ''}): check FANOUT_* and the role's fc:InvokeFunction.`,
        upstream: info,
      });
}

/** The error for a failure before FC answered (socket, timeout). */
export function invokeNetworkError(): AutopilotError {
  return new AutopilotError('FANOUT_UNAVAILABLE', {
    message: 'The asynchronous invocation of a shard did not reach FC (network error or timeout).',
  });
}
