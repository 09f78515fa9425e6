import type { AttemptInfo } from '../cityvisual/client.js';
import { AutopilotError, toAutopilotError } from '../errors.js';
import type { ChangeSource } from '../history/index.js';
import { fieldsOf, type HoldEffect, withoutPinned } from '../holds/index.js';
import type { Intent } from '../intent/index.js';
import { type ApplyDeps, applyIntent } from '../jobgroup/apply.js';
import { audit } from '../log.js';
import { runBounded } from './pool.js';
import type { AppliedEntry, FailedEntry, HeldEntry, TickSummary } from './summary.js';

/** One change to make, with facts for its audit line (the window and schedule that caused it). */
export interface PlannedChange {
  readonly intent: Intent;
  readonly cause?: Readonly<Record<string, unknown>>;
  /** Who or what decided it, for the history record. */
  readonly source?: ChangeSource;
}

export type ChangeOutcome =
  | ({ readonly status: 'applied' } & AppliedEntry)
  | {
      readonly status: 'unchanged';
      readonly jobGroupId: string;
      /** The holds that kept the change off the group: its pauses, or the pins on the fields it set. */
      readonly heldBy?: readonly string[];
    }
  | ({ readonly status: 'failed' } & FailedEntry);

export interface ExecuteOptions {
  readonly applyDeps: ApplyDeps;
  /** Job groups worked on at once. */
  readonly concurrency: number;
  /** Epoch ms: nothing starts after it, and work cut short by it is reported with reason `deadline`. */
  readonly deadline: number;
  /** The client's attempts per call: a retryable error after fewer attempts means the deadline stopped it. */
  readonly maxAttempts: number;
  /** Fields of every audit line (source, trigger, tick, action). */
  readonly auditFields: Readonly<Record<string, unknown>>;
  readonly now?: () => number;
  /**
   * The holds in force on a group now, asked before its write is planned and again right before each
   * attempt leaves (after the rate limit's wait): a pause or pin made while the work runs (an alert
   * rule's holdFor, an operator's hold) keeps the later writes off its fields.
   */
  readonly heldNow?: (jobGroupId: string) => Promise<HoldEffect | undefined>;
}

/** A hold appeared between a write's plan and its attempt: the write is planned again. */
class HeldMeanwhile extends Error {}

/** Whether `effect` pins a field `target` sets. */
function holdsAny(target: Intent['target'], effect: HoldEffect): boolean {
  return JSON.stringify(withoutPinned(target, effect)) !== JSON.stringify(target);
}

/**
 * A change the group's holds kept off it entirely — its pauses, or else the pins on a field of
 * `target` (the change as planned, before pins took fields out of it) — as `unchanged`, naming them.
 */
function heldOff(jobGroupId: string, effect: HoldEffect, target: Intent['target']): ChangeOutcome {
  const pauses = effect.holds.filter((hold) => hold.kind === 'pause');
  const fields = new Set(fieldsOf(target));
  const holds =
    pauses.length > 0
      ? pauses
      : effect.holds.filter(
          (hold) => hold.kind === 'pin' && hold.set && fieldsOf(hold.set).some((f) => fields.has(f)),
        );
  return { status: 'unchanged', jobGroupId, heldBy: holds.map((hold) => hold.id) };
}

/** How long after the deadline in-flight calls may still finish before they are reported unfinished. */
const DEADLINE_GRACE_MS = 250;

function deadlineFailure(jobGroupId: string, message: string): ChangeOutcome {
  return {
    status: 'failed',
    jobGroupId,
    code: 'DEADLINE_EXCEEDED',
    retryable: true,
    reason: 'deadline',
    message,
  };
}

/**
 * A group's failure as an outcome: with code DEADLINE_EXCEEDED and reason `deadline` when the deadline
 * cut it short (no attempt left the time for another, or a retryable error came on the last one).
 */
export function failedOutcome(
  jobGroupId: string,
  thrown: unknown,
  options: Pick<ExecuteOptions, 'deadline' | 'maxAttempts' | 'now'>,
): ChangeOutcome {
  const error = toAutopilotError(thrown);
  const now = options.now ?? Date.now;
  const attempts = error.upstream?.attempts ?? options.maxAttempts;
  const cutShort =
    error.code === 'DEADLINE_EXCEEDED' ||
    (error.retryable && (attempts < options.maxAttempts || now() >= options.deadline - 50));
  if (cutShort) {
    return deadlineFailure(
      jobGroupId,
      `Not finished before the invocation deadline (last error ${error.code}).`,
    );
  }
  return {
    status: 'failed',
    jobGroupId,
    code: error.code,
    retryable: error.retryable,
    message: error.toPublic().message,
  };
}

/**
 * Applies changes through `applyIntent` with bounded concurrency and returns one outcome per change,
 * in input order; never throws. Changes to the same job group run one after another in input order
 * (a batch may touch a group twice). A target that sets nothing is `unchanged` without a call. Each
 * accepted write gets one audit line. Work the deadline kept from starting, or cut short, is `failed`
 * with code DEADLINE_EXCEEDED and reason `deadline` — never dropped.
 *
 * @example
 * const outcomes = await executeChanges([{ intent: toIntent({ action: 'stop', jobGroupId: '3' }) }], {
 *   applyDeps, concurrency: 8, deadline: invocation.deadline, maxAttempts: 4, auditFields: { source: 'scheduler' },
 * });
 * // [{ status: 'applied', jobGroupId: '3', requestId: '…', set: { status: 'Stopped' } }]
 */
export async function executeChanges(
  changes: readonly PlannedChange[],
  options: ExecuteOptions,
): Promise<ChangeOutcome[]> {
  const now = options.now ?? Date.now;
  const byGroup = new Map<string, number[]>();
  changes.forEach((change, index) => {
    const list = byGroup.get(change.intent.jobGroupId) ?? [];
    list.push(index);
    byGroup.set(change.intent.jobGroupId, list);
  });
  const outcomes: Array<ChangeOutcome | undefined> = new Array(changes.length);

  const applyOne = async (change: PlannedChange): Promise<ChangeOutcome> => {
    let { intent } = change;
    if (Object.keys(intent.target).length === 0)
      return { status: 'unchanged', jobGroupId: intent.jobGroupId };
    try {
      const { heldNow } = options;
      let result: Awaited<ReturnType<typeof applyIntent>> | undefined;
      // Planned against the holds now; a hold that appears before an attempt leaves stops it, and the
      // write is planned again without the fields it holds (a few rounds at most).
      for (let round = 0; result === undefined; round++) {
        const effect = await heldNow?.(intent.jobGroupId);
        if (effect?.paused) return heldOff(intent.jobGroupId, effect, change.intent.target);
        if (effect && effect.pinned.size > 0) {
          intent = { ...intent, target: withoutPinned(intent.target, effect) };
          if (Object.keys(intent.target).length === 0)
            return heldOff(intent.jobGroupId, effect, change.intent.target);
        }
        const planned = intent;
        const recheck =
          heldNow && round < 3
            ? async ({ uncertain }: AttemptInfo) => {
                // An earlier attempt may have landed: the retry goes on (a write already sent still
                // lands), so the outcome is known and reported, not turned into a silent `unchanged`.
                if (uncertain > 0) return;
                const now = await heldNow(planned.jobGroupId);
                if (now && (now.paused || holdsAny(planned.target, now))) throw new HeldMeanwhile();
              }
            : undefined;
        try {
          result = await applyIntent(planned, options.applyDeps, {
            deadline: options.deadline,
            ...(change.source && { source: change.source }),
            ...(recheck && { beforeAttempt: recheck }),
          });
        } catch (thrown) {
          if (!(thrown instanceof HeldMeanwhile)) throw thrown;
        }
      }
      if (!result.changed || result.requestId === undefined) {
        return { status: 'unchanged', jobGroupId: intent.jobGroupId };
      }
      audit('job group changed', {
        ...options.auditFields,
        ...change.cause,
        jobGroupId: intent.jobGroupId,
        requestId: result.requestId,
        set: intent.target,
        sent: result.applied,
      });
      return {
        status: 'applied',
        jobGroupId: intent.jobGroupId,
        requestId: result.requestId,
        set: intent.target,
      };
    } catch (thrown) {
      return failedOutcome(intent.jobGroupId, thrown, { ...options, now });
    }
  };

  const groups = [...byGroup.values()];
  const pooled = await runBounded(
    groups,
    async (indexes) => {
      for (const index of indexes) {
        if (now() + 50 >= options.deadline) break;
        outcomes[index] = await applyOne(changes[index]!);
      }
    },
    { concurrency: options.concurrency, deadline: options.deadline, graceMs: DEADLINE_GRACE_MS, now },
  );
  // Snapshot now: workers cut off at the deadline may still settle later; what they do then is unreported.
  const settled = [...outcomes];
  pooled.forEach((outcome, position) => {
    if (outcome.state === 'error') {
      // applyOne never throws; kept so an unexpected bug is reported per group instead of lost.
      const error = outcome.error instanceof AutopilotError ? outcome.error : toAutopilotError(outcome.error);
      for (const index of groups[position]!) {
        settled[index] ??= {
          status: 'failed',
          jobGroupId: changes[index]!.intent.jobGroupId,
          code: error.code,
          retryable: error.retryable,
          message: error.toPublic().message,
        };
      }
    }
  });
  return settled.map(
    (outcome, index) =>
      outcome ??
      deadlineFailure(
        changes[index]!.intent.jobGroupId,
        'Not started or not finished before the invocation deadline.',
      ),
  );
}

/** Outcomes → the summary's `applied`, `unchanged` and `failed` lists (and `held`), in outcome order. */
export function splitOutcomes(
  outcomes: readonly ChangeOutcome[],
): Pick<TickSummary, 'applied' | 'unchanged' | 'failed' | 'held'> {
  const applied: AppliedEntry[] = [];
  const unchanged: string[] = [];
  const failed: FailedEntry[] = [];
  const held: HeldEntry[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'applied') {
      applied.push({ jobGroupId: outcome.jobGroupId, requestId: outcome.requestId, set: outcome.set });
    } else if (outcome.status === 'unchanged') {
      unchanged.push(outcome.jobGroupId);
      if (outcome.heldBy) held.push({ jobGroupId: outcome.jobGroupId, holds: outcome.heldBy });
    } else {
      const { status: _status, ...entry } = outcome;
      failed.push(entry);
    }
  }
  return { applied, unchanged, failed, ...(held.length > 0 && { held }) };
}
