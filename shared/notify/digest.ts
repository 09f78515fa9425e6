import { ERROR_TABLE, type ErrorCode, isErrorCode } from '../errors.js';
import type { ChangeSource, HistoryEntry, HoldEvent } from '../history/index.js';
import type { Target } from '../jobgroup/target.js';
import type { Channel, NotifyTopic } from './schema.js';

/** What ran: the tick, the event delivery or the webhook request a digest is about. */
export interface NotifyOrigin {
  readonly kind: 'tick' | 'events' | 'webhook' | 'test';
  /** One line for people: "Scheduler reconcile tick 2026-06-01 07:30 (reconcile-every-5m)". */
  readonly title: string;
  /** The FC request id of the invocation. */
  readonly requestId: string;
  /** Epoch ms the digest is about. */
  readonly at: number;
}

/** A change that could not be made, as the invocation's summary reports it. */
export interface NotifyFailure {
  /** Absent when the whole invocation failed (the store unreachable, say), not one group. */
  readonly jobGroupId?: string;
  readonly code: string;
  /** The summary's message; only used for a code outside the error table. */
  readonly message?: string;
}

/** Everything one invocation tells its channels. */
export interface DigestInput {
  readonly origin: NotifyOrigin;
  /** The history records this invocation appended (its journal): changes applied, holds made and ended. */
  readonly entries: readonly HistoryEntry[];
  readonly failures: readonly NotifyFailure[];
}

/** One field of a change: `from` when the live state was read before it. */
export interface FieldChange {
  readonly field: string;
  readonly from?: unknown;
  readonly to: unknown;
}

export interface AppliedItem {
  readonly jobGroupId: string;
  readonly fields: readonly FieldChange[];
  /** Who or what decided it: "schedule downtown (weekday-peak)", "rule backlog-up", "ops-bot via POST …". */
  readonly by: string;
  readonly source: ChangeSource;
  /** CityVisual's RequestId of the write. */
  readonly requestId: string;
  readonly at: string;
}

/** The failures of one error code: which groups, and the error table's "what to do". */
export interface FailedItem {
  readonly code: string;
  /** The groups it hit, in order; empty when the whole invocation failed. */
  readonly jobGroupIds: readonly string[];
  readonly hint: string;
}

export interface HoldItem {
  readonly jobGroupId: string;
  readonly event: Exclude<HoldEvent['event'], 'extended'>;
  readonly hold: HoldEvent;
  /** A pin's fields. */
  readonly set: Target;
  /** Who made, released or reaped it. */
  readonly by: string;
  readonly at: string;
}

/** A digest: one message's worth of what happened, before it is cut to a channel's size. */
export interface Digest {
  readonly origin: NotifyOrigin;
  readonly failed: readonly FailedItem[];
  readonly holds: readonly HoldItem[];
  readonly applied: readonly AppliedItem[];
}

/**
 * Codes that say the caller sent something wrong (answered to the caller, who can fix it), not that the
 * product failed to make a change: these are never notified, so nobody can fill a chat by sending junk.
 */
const CALLER_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'INVALID_INPUT',
  'INVALID_JSON',
  'INVALID_JOB_GROUP_ID',
  'UNAUTHORIZED',
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'TOO_MANY_EVENTS',
  'RULE_PATH_MISSING',
  'REQUEST_IN_PROGRESS',
  'IDEMPOTENCY_KEY_REUSED',
  'HOLD_NOT_FOUND',
]);

/** Whether a failure with `code` is one a digest reports (not the caller's own mistake). */
export function isReportedFailure(code: string): boolean {
  return !CALLER_CODES.has(code);
}

/** Who or what decided a change, in a few words (names come from the config or the caller: plain text). */
export function describeSource(source: ChangeSource): string {
  switch (source.kind) {
    case 'schedule':
      return `schedule ${source.schedule}${source.window ? ` (${source.window})` : ''}`;
    case 'rule': {
      const events = source.eventIds.slice(0, 3).join(', ');
      const more = source.eventIds.length > 3 ? ` +${source.eventIds.length - 3}` : '';
      return `rule ${source.rules.join(', ')}${events ? ` (event ${events}${more})` : ''}`;
    }
    case 'webhook':
      return `${source.who} via ${source.route}`;
    case 'scheduler':
      return `scheduler ${source.action} (${source.trigger})`;
  }
}

/** A target's fields, flat: `params.ES_ENABLE` for a param. */
function fieldsOf(set: Target, previous: Readonly<Record<string, unknown>> | undefined): FieldChange[] {
  const out: FieldChange[] = [];
  const from = (value: unknown) => (value === undefined ? {} : { from: value });
  for (const [field, to] of Object.entries(set)) {
    if (field === 'params') {
      const before = (previous?.params ?? {}) as Record<string, unknown>;
      for (const [key, value] of Object.entries(to as Record<string, unknown>)) {
        out.push({ field: `params.${key}`, ...from(before[key]), to: value });
      }
    } else out.push({ field, ...from(previous?.[field]), to });
  }
  return out;
}

/** The error table's "what to do" for a code; the summary's message for a code outside it. */
export function hintFor(code: string, message?: string): string {
  return isErrorCode(code) ? ERROR_TABLE[code].message : (message ?? '');
}

/**
 * The journal and the failures of one invocation → its digest: changes applied (fields from → to where
 * the live state was read, and who decided), failures grouped by code with the error table's advice, and
 * holds created, released and expired (an extension is not news). Caller mistakes are left out.
 *
 * @example
 * buildDigest({ origin, entries: journal, failures: summary.failed });
 * // { failed: [{ code: 'InvalidJobGroupId.NotFound', jobGroupIds: ['9'], hint: 'The job group …' }], holds: [], applied: [...] }
 */
export function buildDigest(input: DigestInput): Digest {
  const applied: AppliedItem[] = [];
  const holds: HoldItem[] = [];
  for (const entry of input.entries) {
    if (entry.hold) {
      if (entry.hold.event === 'extended') continue;
      holds.push({
        jobGroupId: entry.jobGroupId,
        event: entry.hold.event,
        hold: entry.hold,
        set: entry.set,
        by: describeSource(entry.source),
        at: entry.at,
      });
    } else {
      applied.push({
        jobGroupId: entry.jobGroupId,
        fields: fieldsOf(entry.set, entry.previous),
        by: describeSource(entry.source),
        source: entry.source,
        requestId: entry.requestId,
        at: entry.at,
      });
    }
  }
  const byCode = new Map<string, { ids: string[]; seen: Set<string>; message?: string }>();
  for (const failure of input.failures) {
    if (!isReportedFailure(failure.code)) continue;
    let group = byCode.get(failure.code);
    if (!group) {
      group = {
        ids: [],
        seen: new Set(),
        ...(failure.message !== undefined && { message: failure.message }),
      };
      byCode.set(failure.code, group);
    }
    const id = failure.jobGroupId;
    if (id !== undefined && !group.seen.has(id)) {
      group.seen.add(id);
      group.ids.push(id);
    }
  }
  const failed = [...byCode].map(([code, group]) => ({
    code,
    jobGroupIds: group.ids,
    hint: hintFor(code, group.message),
  }));
  return { origin: input.origin, failed, holds, applied };
}

/** Items a digest holds: one per change, per hold event and per failed group (or whole-invocation failure). */
export function digestSize(digest: Digest): number {
  return (
    digest.applied.length +
    digest.holds.length +
    digest.failed.reduce((sum, item) => sum + Math.max(1, item.jobGroupIds.length), 0)
  );
}

/**
 * The part of a digest one channel is for: its topics (`on`, default all) and its job groups
 * (`jobGroupIds`; a failure of the whole invocation concerns every channel). Undefined when nothing is left.
 */
export function digestFor(digest: Digest, channel: Pick<Channel, 'on' | 'jobGroupIds'>): Digest | undefined {
  const topics = new Set<NotifyTopic>(channel.on ?? ['applied', 'failed', 'hold']);
  const groups = channel.jobGroupIds ? new Set(channel.jobGroupIds) : undefined;
  const mine = (id: string) => groups === undefined || groups.has(id);
  const failed = topics.has('failed')
    ? digest.failed.flatMap((item) => {
        if (item.jobGroupIds.length === 0 || groups === undefined) return [item];
        const ids = item.jobGroupIds.filter(mine);
        return ids.length > 0 ? [{ ...item, jobGroupIds: ids }] : [];
      })
    : [];
  const holds = topics.has('hold') ? digest.holds.filter((item) => mine(item.jobGroupId)) : [];
  const applied = topics.has('applied') ? digest.applied.filter((item) => mine(item.jobGroupId)) : [];
  const out = { origin: digest.origin, failed, holds, applied };
  return digestSize(out) > 0 ? out : undefined;
}
