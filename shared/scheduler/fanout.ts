import { createHash } from 'node:crypto';
import { AutopilotError } from '../errors.js';

/** The tick a fan-out belongs to: every shard is reconciled at the parent's tick, not its own start. */
export interface FanoutTick {
  readonly tick: Date;
  readonly trigger: string;
}

/**
 * Hands shards of a reconcile to FC as asynchronous invocations of the scheduler itself (FC's async
 * retry, destinations and concurrency then do the distributing). Resolves once every shard is
 * accepted; rejects when any could not be submitted (the whole tick then fails and is retried; shards
 * already running are idempotent). Implementations (fc2, FC 3.0 InvokeFunction) live behind this type;
 * each sends `buildShardEvent(tick, shard, index, shards.length)` as the event.
 */
export type Fanout = (shards: readonly (readonly string[])[], tick: FanoutTick) => Promise<void>;

/** Async invocation payloads are limited to 128 KB; a shard event must stay well below. */
export const MAX_SHARD_EVENT_BYTES = 120 * 1024;

/** Sorted ids → fixed chunks of `size` (the last may be shorter): the same input always shards alike. */
export function chunkShards(sortedIds: readonly string[], size: number): string[][] {
  const shards: string[][] = [];
  for (let start = 0; start < sortedIds.length; start += size)
    shards.push(sortedIds.slice(start, start + size));
  return shards;
}

/**
 * The event one shard is invoked with: a timer-shaped event carrying the parent's `triggerTime`, so the
 * shard goes through the same handler and evaluates the same tick, and the payload
 * `{"action": "reconcile", "jobGroupIds": […]}`.
 *
 * @example
 * await invoker.invokeAsync('autopilot-scheduler', buildShardEvent(tick, shards[0], 0, shards.length));
 */
export function buildShardEvent(
  tick: FanoutTick,
  shard: readonly string[],
  index: number,
  count: number,
): Buffer {
  const event = Buffer.from(
    JSON.stringify({
      triggerTime: tick.tick.toISOString(),
      triggerName: `${tick.trigger}#shard-${index + 1}-of-${count}`,
      payload: JSON.stringify({ action: 'reconcile', jobGroupIds: shard }),
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
