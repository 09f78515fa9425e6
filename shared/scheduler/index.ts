/**
 * The scheduler: timer actions and schedule reconciles, applied with bounded concurrency, a client-side
 * rate limit and the invocation deadline, ending in one summary per tick.
 */
export { type ChangeOutcome, executeChanges, type PlannedChange, splitOutcomes } from './execute.js';
export {
  buildShardEvent,
  chunkShards,
  type Fanout,
  type FanoutTick,
  MAX_SHARD_EVENT_BYTES,
} from './fanout.js';
export {
  parseTimerPayload,
  type ReconcilePayload,
  ReconcilePayloadSchema,
  type TimerPayload,
} from './payload.js';
export { type PoolOutcome, runBounded } from './pool.js';
export { createTokenBucket, type RateLimiter } from './rate-limiter.js';
export { compareIds, type DueGroup, dueGroups, lookbackMs, reconcile } from './reconcile.js';
export { runScheduler, type SchedulerDeps } from './run.js';
export {
  type AppliedEntry,
  type FailedEntry,
  type HeldEntry,
  summarize,
  summaryError,
  summaryForLog,
  type TickSummary,
} from './summary.js';
