import { createHash } from 'node:crypto';
import { AutopilotError } from '../errors.js';

/** The tick a fan-out belongs to: every shard is reconciled at the parent's tick, not its own start. */
export interface FanoutTick {
  readonly tick: Date;
  readonly trigger: string;
  /**
   * Each shard's share of `reconcile.qps`: the budget divided by the number of shards started, so
   * all of them together pace at the budget. Absent: each shard paces at the whole budget.
   */
  readonly qps?: number;
}

/** One shard of a fan-out: the groups it reconciles, and where the parent saw them live. */
export interface Shard {
  readonly jobGroupIds: readonly string[];
  /**
   * The DescribeJobGroups pages (PageSize 100) the parent's listing showed these groups on: the shard
   * reads those pages instead of the whole listing (a group not found there is read by itself).
   */
  readonly pages?: readonly number[];
}

/**
 * Hands shards of a reconcile to FC as asynchronous invocations of the scheduler itself (FC's async
 * retry, destinations and concurrency then do the distributing). Resolves once every shard is
 * accepted; rejects when any could not be submitted (the whole tick then fails and is retried; shards
 * already running are idempotent). Implementations (fc2, FC 3.0 InvokeFunction) live behind this type;
 * each sends `buildShardEvent(tick, shard, index, shards.length)` as the event.
 */
export type Fanout = (shards: readonly Shard[], tick: FanoutTick) => Promise<void>;

/** Async invocation payloads are limited to 128 KB; a shard event must stay well below. */
export const MAX_SHARD_EVENT_BYTES = 120 * 1024;

/**
 * Ordered ids → fixed chunks of `size` (the last may be shorter): the same input always shards alike.
 * With `maxShards`, never more chunks than that while a chunk can grow to `maxSize`: more groups make
 * larger shards, not more of them.
 */
export function chunkShards(
  orderedIds: readonly string[],
  size: number,
  limits: { readonly maxShards?: number; readonly maxSize?: number } = {},
): string[][] {
  const { maxShards = Number.POSITIVE_INFINITY, maxSize = size } = limits;
  let chunk = size;
  if (Math.ceil(orderedIds.length / chunk) > maxShards) {
    chunk = Math.max(size, Math.min(maxSize, Math.ceil(orderedIds.length / maxShards)));
  }
  const shards: string[][] = [];
  for (let start = 0; start < orderedIds.length; start += chunk)
    shards.push(orderedIds.slice(start, start + chunk));
  return shards;
}

/**
 * The event one shard is invoked with: a timer-shaped event carrying the parent's `triggerTime`, so the
 * shard goes through the same handler and evaluates the same tick, and the payload
 * `{"action": "reconcile", "jobGroupIds": […], "pages": […], "qps": share}` (`pages` and `qps` when
 * known).
 *
 * @example
 * await invoker.invokeAsync(buildShardEvent(tick, shards[0], 0, shards.length));
 */
export function buildShardEvent(tick: FanoutTick, shard: Shard, index: number, count: number): Buffer {
  const event = Buffer.from(
    JSON.stringify({
      triggerTime: tick.tick.toISOString(),
      triggerName: `${tick.trigger}#shard-${index + 1}-of-${count}`,
      payload: JSON.stringify({
        action: 'reconcile',
        jobGroupIds: shard.jobGroupIds,
        ...(shard.pages && shard.pages.length > 0 && { pages: shard.pages }),
        ...(tick.qps !== undefined && { qps: tick.qps }),
      }),
    }),
  );
  if (event.length > MAX_SHARD_EVENT_BYTES) {
    // Unreachable with a validated config (shardSize ≤ MAX_SHARD_SIZE, ids ≤ 64 characters); kept so a
    // bypassed check still names its cause instead of failing as INTERNAL.
    throw new AutopilotError('CONFIG_INVALID', {
      message: `A shard event of ${event.length} bytes exceeds ${MAX_SHARD_EVENT_BYTES}; lower reconcile.shardSize.`,
    });
  }
  return event;
}

/**
 * The async task id of one shard of one tick: the same tick, trigger and shard always give the same id,
 * so when FC retries a tick whose fan-out failed part-way, the shards FC already accepted are refused as
 * duplicates (409) instead of running twice. `shard-<tick seconds>-<i>of<n>-<hash>`: starts with a
 * letter, letters, digits and `-` only, under FC's 128 characters.
 */
export function shardTaskId(
  tick: FanoutTick,
  shard: readonly string[],
  index: number,
  count: number,
): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([tick.trigger, tick.tick.toISOString(), index, count, shard]))
    .digest('hex')
    .slice(0, 24);
  return `shard-${Math.floor(tick.tick.getTime() / 1000)}-${index + 1}of${count}-${hash}`;
}
