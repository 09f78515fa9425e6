import { type AutopilotError, type ErrorCode, toAutopilotError } from '../errors.js';
import type { ChangeAction } from '../intent/index.js';
import type { NotifyFailure } from '../notify/digest.js';
import type { NotifyReport } from '../notify/send.js';

/**
 * What became of one event (or one alert), most severe first:
 *
 * | outcome            | meaning                                                         | invocation   |
 * |--------------------|-----------------------------------------------------------------|--------------|
 * | `failed-retryable` | a change was throttled past retries, hit a 5xx/timeout/deadline | fails (retry)|
 * | `failed-permanent` | a change was refused for good (404 group, 403 RAM, bad config)  | acknowledged |
 * | `invalid`          | the event or the values a rule took from it are not valid       | acknowledged |
 * | `applied`          | at least one ModifyJobGroup was sent (CityVisual RequestId kept)| acknowledged |
 * | `unchanged`        | every target already held: nothing sent                         | acknowledged |
 * | `unmatched`        | no rule matched (debug log only)                                | acknowledged |
 *
 * An event with several changes takes the most severe outcome among them; each change keeps its own.
 */
export const EVENT_OUTCOMES = [
  'applied',
  'unchanged',
  'unmatched',
  'invalid',
  'failed-permanent',
  'failed-retryable',
] as const;
export type EventOutcome = (typeof EVENT_OUTCOMES)[number];

/** What became of one change: the event outcomes minus `unmatched` (a change exists only if a rule matched). */
export type ChangeOutcome = Exclude<EventOutcome, 'unmatched'>;

/**
 * Why a retryable failure happened; `deadline` when the invocation ran out of time, `contended` when
 * the group was held: another delivery was sending to it, or a write to it may still land.
 */
export type RetryReason = 'throttled' | 'timeout' | 'upstream' | 'deadline' | 'contended';

const SEVERITY: Readonly<Record<EventOutcome, number>> = {
  unmatched: 0,
  unchanged: 1,
  applied: 2,
  invalid: 3,
  'failed-permanent': 4,
  'failed-retryable': 5,
};

/** The more severe of two outcomes (table above). */
export function worseOutcome(a: EventOutcome, b: EventOutcome): EventOutcome {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

/** One matched rule (or, for a command event, one entry of `data.changes`) of one event. */
export interface RuleReport {
  readonly rule: string;
  /** Command events: the position of the change in `data.changes`. */
  readonly changeIndex?: number;
  /** False when the rule's values did not form a valid change (`code`, `message`, `field` say why). */
  readonly ok: boolean;
  /** How many job-group changes the rule produced (0 when not ok). */
  readonly changes: number;
  readonly code?: string;
  readonly message?: string;
  readonly field?: string;
}

/** The report code of a command event whose source is not in `events.commandSources` (acknowledged). */
export const COMMAND_SOURCE_NOT_ALLOWED = 'COMMAND_SOURCE_NOT_ALLOWED';

/** One job-group change of one event, after it was applied (or refused). */
export interface ChangeReport {
  readonly rule: string;
  readonly changeIndex?: number;
  readonly jobGroupId: string;
  readonly action: ChangeAction;
  readonly outcome: ChangeOutcome;
  /** CityVisual's RequestId: of the write when applied, of the error answer when CityVisual refused it. */
  readonly requestId: string | null;
  readonly code?: string;
  readonly reason?: RetryReason;
  readonly message?: string;
  /** A change of an event older than the newest one applied to the group: acknowledged, not applied. */
  readonly stale?: { readonly eventTime: string; readonly newestApplied: string };
  /** A resolved alert's change a firing alert for the same group outweighed in the same notification. */
  readonly superseded?: true;
  /** Dry run: the ModifyJobGroup parameters that would be sent (nothing was). */
  readonly planned?: Readonly<Record<string, string>>;
}

/** One entry of a delivery (or one alert of a webhook) and everything that happened to it. */
export interface EventReport {
  /** Position in the delivery (or in the webhook's `alerts`). */
  readonly index: number;
  /** null when the entry was not an event with an id. */
  readonly id: string | null;
  readonly source: string | null;
  readonly type: string | null;
  readonly outcome: EventOutcome;
  readonly rules: RuleReport[];
  readonly changes: ChangeReport[];
  /** For an entry that is not a valid event: why (INVALID_JSON, INVALID_INPUT, TOO_MANY_EVENTS). */
  readonly code?: string;
  readonly message?: string;
}

export type OutcomeCounts = Record<EventOutcome, number> & { readonly total: number };

/** What the events function returns (and logs once): every event of the delivery, in order. */
export interface EventsSummary {
  readonly events: EventReport[];
  readonly counts: OutcomeCounts;
  /** The delivery's digest sent to the notification channels (absent when none had anything to send). */
  readonly notify?: NotifyReport;
}

/** Counts of each outcome over the reports, plus the total. */
export function countOutcomes(reports: readonly EventReport[]): OutcomeCounts {
  const counts = Object.fromEntries(EVENT_OUTCOMES.map((outcome) => [outcome, 0])) as Record<
    EventOutcome,
    number
  >;
  for (const report of reports) counts[report.outcome]++;
  return { ...counts, total: reports.length };
}

/** Codes that mean "the input was not valid": acknowledged as `invalid`, not as a failure. */
const INVALID_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_INPUT',
  'INVALID_JSON',
  'INVALID_JOB_GROUP_ID',
  'RULE_PATH_MISSING',
  'TOO_MANY_EVENTS',
]);

/** Remaining time under which a failure counts as running out of the invocation's time. */
export const DEADLINE_SLACK_MS = 100;

export interface ClassifiedFailure {
  readonly outcome: 'invalid' | 'failed-permanent' | 'failed-retryable';
  readonly error: AutopilotError;
  readonly reason?: RetryReason;
}

/**
 * A change's error → its outcome, by the error table: validation codes are `invalid`, retryable codes
 * `failed-retryable` (with a reason), everything else `failed-permanent`. A retryable failure that
 * happened with the deadline (nearly) reached is reason `deadline`: the retry needs a fresh invocation.
 */
export function classifyFailure(error: unknown, deadline: number, now = Date.now()): ClassifiedFailure {
  const e = toAutopilotError(error);
  if (INVALID_CODES.has(e.code)) return { outcome: 'invalid', error: e };
  if (!e.retryable) return { outcome: 'failed-permanent', error: e };
  return { outcome: 'failed-retryable', error: e, reason: retryReason(e, deadline, now) };
}

function retryReason(error: AutopilotError, deadline: number, now: number): RetryReason {
  if (error.code === 'DEADLINE_EXCEEDED' || now + DEADLINE_SLACK_MS >= deadline) return 'deadline';
  if (error.code.startsWith('Throttling')) return 'throttled';
  if (error.code === 'UPSTREAM_TIMEOUT') return 'timeout';
  if (error.code === 'GROUP_CHANGE_IN_PROGRESS') return 'contended';
  return 'upstream';
}

/**
 * The failed changes of a delivery (or of an alert notification), for its digest: one per group and
 * code; an event that failed before any change (its rules could not be evaluated) counts without a group.
 */
export function reportFailures(reports: readonly EventReport[]): NotifyFailure[] {
  const failures: NotifyFailure[] = [];
  for (const report of reports) {
    for (const change of report.changes) {
      if (change.outcome !== 'failed-permanent' && change.outcome !== 'failed-retryable') continue;
      failures.push({
        jobGroupId: change.jobGroupId,
        code: change.code ?? 'INTERNAL',
        ...(change.message !== undefined && { message: change.message }),
      });
    }
    if (report.changes.length === 0 && report.outcome === 'failed-permanent') {
      failures.push({ code: report.code ?? 'INTERNAL' });
    }
  }
  return failures;
}
