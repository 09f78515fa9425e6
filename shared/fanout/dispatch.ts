import { AutopilotError, toAutopilotError } from '../errors.js';
import { logger } from '../log.js';
import { buildShardEvent, type Fanout, shardTaskId } from '../scheduler/fanout.js';
import { runBounded } from '../scheduler/pool.js';
import type { Invoker } from './invoker.js';

export interface DispatchOptions {
  /**
   * Shards submitted at once. Default 64 (every shard of a default fan-out at once): the shards share
   * the budget evenly, so a shard submitted a round later only finishes later, with the budget
   * unused meanwhile.
   */
  readonly concurrency?: number;
  /** Submissions per shard, including the first; only retryable failures are retried. Default 3. */
  readonly maxAttempts?: number;
  /** Epoch ms after which no submission starts (the invocation deadline). */
  readonly deadline?: number;
  /**
   * Send each shard with a deterministic async task id ({@link shardTaskId}), so a retried tick does not
   * run the shards FC accepted the first time (FC answers 409, counted as accepted). Needs `asyncTask`
   * in the function's async config. Default false.
   */
  readonly taskIds?: boolean;
  /** Backoff base, ms (full jitter: random * base * 2^n). Default 200. */
  readonly baseDelayMs?: number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Details of a fan-out that could not hand every shard to FC (on FANOUT_* errors). */
export interface FanoutFailureDetails {
  /** Indexes of the shards FC accepted: their groups are delegated, not failed. */
  readonly acceptedShards: readonly number[];
  /** Every shard that was not accepted, with its own error (shards can fail differently). */
  readonly failedShards: readonly {
    readonly index: number;
    readonly code: string;
    readonly retryable: boolean;
  }[];
  readonly shards: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const DEFAULT_DISPATCH_CONCURRENCY = 64;

/**
 * The scheduler's {@link Fanout} on an {@link Invoker}: each shard becomes one asynchronous invocation
 * of the scheduler carrying `buildShardEvent(tick, shard, i, n)`, submitted with bounded concurrency.
 * A submission that fails retryably (throttled, 5xx, network) is retried for that shard alone, with
 * backoff, within the deadline. Once FC accepted a shard, FC owns it: its async retries and failure
 * destination apply to that shard only. If any shard still could not be submitted, the fan-out
 * rejects (with a retryable shard's error if there is one), carrying `details.acceptedShards` and each
 * failed shard's own code in `details.failedShards`, so the tick's summary counts the accepted shards as
 * delegated and every other group as failed with its shard's code, and FC retries the tick, which fans
 * out again: with `taskIds`, FC refuses the shards it already accepted (409); without, they run again,
 * which is safe (absolute targets) but costs their writes.
 *
 * @example
 * const fanout = createInvokerFanout(createFc3Invoker({ … }), { deadline: invocation.deadline });
 * await fanout([['1', '2'], ['3']], { tick, trigger: 'reconcile-every-5m' });
 */
export function createInvokerFanout(invoker: Invoker, options: DispatchOptions = {}): Fanout {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const baseDelayMs = options.baseDelayMs ?? 200;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;

  const submit = async ({ event, taskId }: { event: Buffer; taskId?: string }) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await invoker.invokeAsync(event, taskId === undefined ? {} : { taskId });
      } catch (thrown) {
        const error = toAutopilotError(thrown);
        const delay = random() * baseDelayMs * 2 ** (attempt - 1);
        if (!error.retryable || attempt >= maxAttempts || Date.now() + delay >= deadline) throw error;
        await sleep(delay);
      }
    }
  };

  return async (shards, tick) => {
    // Built first, so a shard too large for an async payload fails the tick before anything is sent.
    const events = shards.map((shard, index) => ({
      event: buildShardEvent(tick, shard, index, shards.length),
      ...(options.taskIds && { taskId: shardTaskId(tick, shard.jobGroupIds, index, shards.length) }),
    }));
    const outcomes = await runBounded(events, submit, {
      concurrency: options.concurrency ?? DEFAULT_DISPATCH_CONCURRENCY,
      deadline,
    });
    const accepted: number[] = [];
    const failed: { index: number; error: AutopilotError }[] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.state === 'done') {
        accepted.push(index);
        logger.info(
          outcome.value.duplicate
            ? 'fan-out shard already accepted earlier (same task id)'
            : 'fan-out shard accepted',
          {
            invoker: invoker.kind,
            target: invoker.target,
            shard: `${index + 1}/${shards.length}`,
            groups: shards[index]?.jobGroupIds.length ?? 0,
            ...(events[index]?.taskId !== undefined && { taskId: events[index]?.taskId }),
            ...(outcome.value.requestId && { invocationRequestId: outcome.value.requestId }),
          },
        );
      } else {
        const error =
          outcome.state === 'error'
            ? toAutopilotError(outcome.error)
            : new AutopilotError('DEADLINE_EXCEEDED', {
                message: 'The invocation deadline came before every shard was handed to FC.',
              });
        failed.push({ index, error });
      }
    });
    if (failed.length > 0) {
      const details: FanoutFailureDetails = {
        acceptedShards: accepted,
        failedShards: failed.map(({ index, error }) => ({
          index,
          code: error.code,
          retryable: error.retryable,
        })),
        shards: shards.length,
      };
      // The fan-out as a whole fails retryably if any shard did (a retry of the tick can still get it
      // through); each shard's own code is in details.failedShards.
      const lead =
        failed.find(({ error }) => error.retryable)?.error ?? (failed[0] as { error: AutopilotError }).error;
      throw new AutopilotError(lead.code, {
        message: lead.message,
        ...(lead.upstream && { upstream: lead.upstream }),
        details: { ...details },
      });
    }
  };
}
