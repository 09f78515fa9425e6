import { AutopilotError } from '../errors.js';
import type { Target } from '../jobgroup/target.js';
import type { NotifyReport } from '../notify/send.js';

/** One write that CityVisual accepted. */
export interface AppliedEntry {
  readonly jobGroupId: string;
  /** CityVisual's RequestId of the ModifyJobGroup call. */
  readonly requestId: string;
  /** The target the change asked for (only the fields that differed were sent on live reads). */
  readonly set: Target;
}

/** One job group (or one change of a batch) that did not reach its target in this invocation. */
export interface FailedEntry {
  readonly jobGroupId: string;
  /** An error-table code; `DEADLINE_EXCEEDED` for work the deadline cut short or never started. */
  readonly code: string;
  /** Whether a later attempt (FC's async retry, the next tick) can succeed. */
  readonly retryable: boolean;
  /** `deadline`: not started or not finished before the invocation deadline. */
  readonly reason?: 'deadline';
  /** What went wrong, for an operator (never an upstream message). */
  readonly message: string;
}

/** A group left unchanged because holds kept the change off it (see {@link TickSummary.held}). */
export interface HeldEntry {
  readonly jobGroupId: string;
  /** The ids of those holds: the pauses, or the pins on the fields the change set (together, all of them). */
  readonly holds: readonly string[];
}

/** The shards a reconcile handed to FC as asynchronous invocations instead of working inline. */
export interface DelegatedEntry {
  readonly shards: number;
  readonly jobGroupIds: number;
}

/**
 * The one result of a scheduler invocation, returned, logged and — when anything failed — carried by
 * the error FC's async retry and failure destination see. Every due job group appears exactly once
 * in `applied`, `unchanged`, `failed` or (fanned out) is counted in `counts.delegated`; a batch that
 * changes one group twice has one entry per change.
 */
export interface TickSummary {
  /** `reconcile`, or the timer action that ran (`stop`, `scale`, …, `batch`). */
  readonly action: string;
  /** The tick: the timer event's `triggerTime`, ISO-8601 UTC. */
  readonly tick: string;
  /** The timer trigger's name. */
  readonly trigger: string;
  /** Reconcile only: the instant the desired state was evaluated at (the tick, or now if later). */
  readonly evaluatedAt?: string;
  /** Reconcile only: the job group ids this invocation was limited to (a fan-out shard). */
  readonly shard?: readonly string[];
  /** The job groups this invocation had to act on, in order. */
  readonly due: readonly string[];
  readonly applied: readonly AppliedEntry[];
  /** Groups already at their target (nothing sent), or whose schedule sets nothing at this time. */
  readonly unchanged: readonly string[];
  /**
   * Those of `unchanged` that holds kept the change off (a pause, or pins that together hold every field it set),
   * found when the write was about to go; absent when none. Not a later retry: when the hold ends, a
   * reconcile applies the schedule's state, while a timer action's change is not made again.
   */
  readonly held?: readonly HeldEntry[];
  readonly failed: readonly FailedEntry[];
  readonly delegated?: DelegatedEntry;
  /** The digest of this tick sent to the notification channels (absent when none had anything to send). */
  readonly notify?: NotifyReport;
  readonly counts: {
    readonly due: number;
    readonly applied: number;
    readonly unchanged: number;
    readonly failed: number;
    readonly delegated: number;
  };
}

export type SummaryParts = Omit<TickSummary, 'counts' | 'notify'>;

/** Adds the counts, so they can never disagree with the lists. */
export function summarize(parts: SummaryParts): TickSummary {
  return {
    ...parts,
    counts: {
      due: parts.due.length,
      applied: parts.applied.length,
      unchanged: parts.unchanged.length,
      failed: parts.failed.length,
      delegated: parts.delegated?.jobGroupIds ?? 0,
    },
  };
}

/** Lines above this size are cut down for the log (FC's log lines are limited to 32 KB). */
const MAX_LOG_CHARS = 24_000;
const MAX_LOGGED_FAILURES = 100;
const MAX_LOGGED_HELD = 20;
const MAX_LOGGED_HOLDS = 3;

/**
 * The summary as it goes into the log line: whole when small, else the counts, the first failures and
 * the first held groups (each applied change has its own audit line anyway) — fewer of both until the
 * line fits, since long group ids and messages can make even 100 failures too long.
 */
export function summaryForLog(summary: TickSummary): Record<string, unknown> {
  if (JSON.stringify(summary).length <= MAX_LOG_CHARS) return { ...summary };
  const { applied: _applied, unchanged: _unchanged, due: _due, shard, failed, held, ...rest } = summary;
  const cut = (failures: number, helds: number): Record<string, unknown> => ({
    ...rest,
    ...(shard && { shardSize: shard.length }),
    // Held groups: how many, and the first few with a few of their holds each (a group may have many).
    ...(held && {
      heldCount: held.length,
      held: held.slice(0, helds).map((entry) => ({
        jobGroupId: entry.jobGroupId,
        holds: entry.holds.slice(0, MAX_LOGGED_HOLDS),
        ...(entry.holds.length > MAX_LOGGED_HOLDS && { moreHolds: entry.holds.length - MAX_LOGGED_HOLDS }),
      })),
    }),
    failed: failed.slice(0, failures),
    truncated: true,
  });
  let failures = MAX_LOGGED_FAILURES;
  let helds = MAX_LOGGED_HELD;
  let line = cut(failures, helds);
  while (JSON.stringify(line).length > MAX_LOG_CHARS && (failures > 1 || helds > 1)) {
    failures = Math.max(1, failures >> 1);
    helds = Math.max(1, helds >> 1);
    line = cut(failures, helds);
  }
  return line;
}

/**
 * The error a tick with failures ends in: RECONCILE_INCOMPLETE (retryable) when any failure can succeed
 * on a retry, else RECONCILE_FAILED. Its message names the first failures, since a failure destination
 * may only show the message; its details carry the whole summary.
 */
export function summaryError(summary: TickSummary): AutopilotError {
  const retryable = summary.failed.some((failure) => failure.retryable);
  const sample = summary.failed
    .slice(0, 5)
    .map((failure) => `${failure.jobGroupId} ${failure.code}${failure.reason ? ` (${failure.reason})` : ''}`)
    .join(', ');
  const more = summary.failed.length > 5 ? `, and ${summary.failed.length - 5} more` : '';
  const { counts } = summary;
  return new AutopilotError(retryable ? 'RECONCILE_INCOMPLETE' : 'RECONCILE_FAILED', {
    message:
      `Scheduler ${summary.action} at ${summary.tick} (${summary.trigger}): ${counts.failed} failed, ` +
      `${counts.applied} applied, ${counts.unchanged} unchanged of ${counts.due} due: ${sample}${more}.`,
    details: { summary },
  });
}
