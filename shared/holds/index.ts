import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ConfigFile } from '../config/core.js';
import { AutopilotError, toAutopilotError } from '../errors.js';
import { appendHistory, type ChangeSource, type HoldEvent } from '../history/index.js';
import { parseInstant } from '../instant.js';
import { JobGroupIdSchema } from '../jobgroup/id.js';
import { type Target, TargetSchema } from '../jobgroup/target.js';
import { lazySchema } from '../lazy-schema.js';
import { audit, logger } from '../log.js';
import { compileSchedule, occurrenceBounds, startsOn } from '../schedule/compile.js';
import type { SkippedOccurrence } from '../schedule/evaluate.js';
import { parseIsoDate, toDayNumber } from '../schedule/local-date.js';
import { parseDuration } from '../state/duration.js';
import { KEYS } from '../state/keys.js';
import type { StateStore, StoredRecord } from '../state/store.js';
import { parseOrThrow } from '../validation.js';

/**
 * Holds: temporary overrides that end on their own (CLARIFICATIONS 9). Precedence for automation
 * (schedules, enforce, rules, alert hooks): pause > pin > schedule and rules. A direct webhook change is
 * never blocked by a hold. Every hold is stored with absolute instants and expires by itself.
 */
export const HOLD_KINDS = ['pin', 'pause', 'skip'] as const;

/** The body of `POST /v1/job-groups/{id}/holds`. */
export const HoldBodySchema = lazySchema(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('pin'),
      set: TargetSchema.refine((set) => Object.keys(set).length > 0, 'must set at least one field'),
      for: z.string().optional(),
      until: z.string().optional(),
      reason: z.string().min(1).max(200).optional(),
    }),
    z.strictObject({
      kind: z.literal('pause'),
      for: z.string().optional(),
      until: z.string().optional(),
      reason: z.string().min(1).max(200).optional(),
    }),
    z.strictObject({
      kind: z.literal('skip'),
      /** Optional when exactly one schedule of the group has a window of that name. */
      schedule: z.string().min(1).max(128).optional(),
      window: z.string().min(1).max(128),
      date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a local date YYYY-MM-DD'),
      reason: z.string().min(1).max(200).optional(),
    }),
  ]),
);
export type HoldBody = z.infer<typeof HoldBodySchema>;

/** A hold as stored and answered. */
export interface Hold {
  readonly id: string;
  readonly jobGroupId: string;
  readonly kind: (typeof HOLD_KINDS)[number];
  readonly set?: Target;
  readonly schedule?: string;
  readonly window?: string;
  readonly date?: string;
  readonly from: string;
  readonly until: string;
  readonly reason: string;
  readonly who: string;
}

const HOLD_ID = /^([A-Za-z0-9_-]{1,64})~([0-9a-f]{12})$/;

/** `3~a1b2c3d4e5f6`: the group is part of the id, so a release finds the record with one read. */
export function parseHoldId(value: string | undefined): { jobGroupId: string; id: string } {
  const match = value === undefined ? null : HOLD_ID.exec(value);
  if (!match) {
    throw new AutopilotError('INVALID_INPUT', {
      message:
        'holdId: expected a hold id as answered when the hold was made (<jobGroupId>~<12 hex digits>).',
      field: 'holdId',
    });
  }
  return { jobGroupId: match[1] as string, id: value as string };
}

function endOf(
  body: { for?: string | undefined; until?: string | undefined },
  now: number,
  maxMs: number,
): number {
  if ((body.for === undefined) === (body.until === undefined)) {
    throw new AutopilotError('INVALID_INPUT', {
      message: `${body.for === undefined ? 'for' : 'until'}: a pin or pause ends: give exactly one of for (90m, 2h, 3d) or until (an RFC 3339 instant).`,
      field: body.for === undefined ? 'for' : 'until',
    });
  }
  let end: number;
  let field: 'for' | 'until';
  if (body.for !== undefined) {
    field = 'for';
    const ms = parseDuration(body.for);
    if (ms === undefined) {
      throw new AutopilotError('INVALID_INPUT', {
        message: 'for: expected a duration such as 90m, 2h or 3d.',
        field,
      });
    }
    end = now + ms;
  } else {
    field = 'until';
    const text = body.until as string;
    end = parseInstant(text);
    if (!Number.isFinite(end)) {
      throw new AutopilotError('INVALID_INPUT', {
        message: 'until: expected an RFC 3339 instant with an offset, such as 2026-12-24T18:00:00+08:00.',
        field,
      });
    }
    if (end <= now)
      throw new AutopilotError('INVALID_INPUT', { message: 'until: is not in the future.', field });
  }
  if (end - now > maxMs) {
    throw new AutopilotError('INVALID_INPUT', {
      message: `${field}: a hold lasts at most holds.maxDuration (${Math.round(maxMs / 3_600_000)} h); shorten it or raise holds.maxDuration in the config.`,
      field,
    });
  }
  return end;
}

/** Validates a hold request against the config (window names, the maximum) → the hold to store. */
export function buildHold(
  jobGroupId: string,
  raw: unknown,
  config: Pick<ConfigFile, 'schedules' | 'timezone' | 'holds'>,
  who: string,
  now = Date.now(),
): Hold {
  const body = parseOrThrow(HoldBodySchema, raw);
  const id = `${parseOrThrow(JobGroupIdSchema, jobGroupId, 'jobGroupId')}~${randomBytes(6).toString('hex')}`;
  const common = { id, jobGroupId, from: new Date(now).toISOString(), reason: body.reason ?? '', who };
  if (body.kind !== 'skip') {
    const until = endOf(body, now, parseDuration(config.holds.maxDuration) ?? 7 * 86_400_000);
    return {
      ...common,
      kind: body.kind,
      ...(body.kind === 'pin' && { set: body.set }),
      until: new Date(until).toISOString(),
    };
  }
  const covering = config.schedules.filter((s) => s.jobGroupIds.includes(jobGroupId));
  const named =
    body.schedule === undefined
      ? covering.filter((s) => compileSchedule(s).windows.some((w) => w.name === body.window))
      : covering.filter((s) => s.name === body.schedule);
  const schedule = named.length === 1 ? named[0] : undefined;
  if (!schedule) {
    throw new AutopilotError('INVALID_INPUT', {
      message:
        body.schedule !== undefined
          ? `schedule: no schedule named "${body.schedule}" covers job group ${jobGroupId}.`
          : named.length > 1
            ? `schedule: several schedules of job group ${jobGroupId} have a window "${body.window}"; name one.`
            : `window: no schedule of job group ${jobGroupId} has a window named "${body.window}".`,
      field: body.schedule === undefined && named.length === 0 ? 'window' : 'schedule',
    });
  }
  const compiled = compileSchedule(schedule);
  const window = compiled.windows.find((w) => w.name === body.window);
  if (!window) {
    throw new AutopilotError('INVALID_INPUT', {
      message: `window: schedule "${schedule.name}" has no window named "${body.window}" (it has ${compiled.windows.map((w) => `"${w.name}"`).join(', ')}).`,
      field: 'window',
    });
  }
  const date = parseIsoDate(body.date);
  const day = date && toDayNumber(date);
  if (day === undefined || !startsOn(compiled, window, day)) {
    throw new AutopilotError('INVALID_INPUT', {
      message: `date: window "${body.window}" has no occurrence starting on ${body.date} (local to ${schedule.timezone ?? config.timezone}).`,
      field: 'date',
    });
  }
  const [, end] = occurrenceBounds(window, day, schedule.timezone ?? config.timezone);
  if (end <= now) {
    throw new AutopilotError('INVALID_INPUT', {
      message: `date: that occurrence already ended.`,
      field: 'date',
    });
  }
  return {
    ...common,
    kind: 'skip',
    schedule: schedule.name,
    window: window.name,
    date: body.date,
    until: new Date(end).toISOString(),
  };
}

/** A hold with the seconds it has left (never negative: an ended hold is never shown as live). */
export const withTimeLeft = (hold: Hold, now = Date.now()): Hold & { readonly secondsLeft: number } => ({
  ...hold,
  secondsLeft: Math.max(0, Math.round((Date.parse(hold.until) - now) / 1000)),
});

const holdKey = (hold: { jobGroupId: string; id: string }) => KEYS.hold(hold.jobGroupId, hold.id);

/**
 * How long an ended hold's record stays, so the scheduler's next tick can record its expiry (history and
 * an audit line) and apply the group's desired state; no reader treats it as in force after `until`.
 */
export const ENDED_HOLD_KEPT_MS = 86_400_000;
/** Ended holds the tick records at once. */
const REAP_CONCURRENCY = 8;
const keptUntil = (hold: Hold) => Date.parse(hold.until) + ENDED_HOLD_KEPT_MS;

/**
 * Stores a hold (it expires at its end) and forgets what the scheduler last applied to the group, so
 * the schedule's desired state is applied again once the hold ends, with or without `enforce`.
 */
export async function saveHold(store: StateStore, hold: Hold): Promise<void> {
  await store.create(holdKey(hold), { ...hold }, { expiresAt: keptUntil(hold) });
  // A skip needs no such reset: its occurrence changes the desired state when it comes, and again when
  // it ends, and a skip for next week must not re-assert the schedule now.
  if (hold.kind !== 'skip') await store.delete(KEYS.scheduled(hold.jobGroupId));
}

/** Releases a hold; the group's desired state is then applied (the schedule record is forgotten). */
export async function releaseHold(
  store: StateStore,
  holdId: string,
  now = Date.now(),
): Promise<Hold | undefined> {
  const { jobGroupId, id } = parseHoldId(holdId);
  const key = holdKey({ jobGroupId, id });
  const record = await store.get(key);
  if (!record || Date.parse((record.value as unknown as Hold).until) <= now) return undefined;
  // Another release (or the expiry reaper) that got there first wins: this one found nothing to release.
  if (!(await store.delete(key, { expectedVersion: record.version }))) return undefined;
  const hold = record.value as unknown as Hold;
  // A skip needs no reset (as when it was made): its occurrence decides, not the record.
  if (hold.kind !== 'skip') await store.delete(KEYS.scheduled(jobGroupId));
  return hold;
}

/** Stored hold records, ended ones included until they are reaped (one prefix read). */
export async function listHoldRecords(store: StateStore, jobGroupId?: string): Promise<StoredRecord[]> {
  return store.list(KEYS.holdPrefix(jobGroupId), { limit: 100_000 });
}

const inForce = (hold: Hold, now: number) => Date.parse(hold.until) > now;

/** Holds in force, per group (one prefix read; ended ones are left out). */
export async function listHolds(store: StateStore, jobGroupId?: string, now = Date.now()): Promise<Hold[]> {
  return (await listHoldRecords(store, jobGroupId))
    .map((record) => record.value as unknown as Hold)
    .filter((hold) => inForce(hold, now));
}

/** A hold as its history record and audit line name it. */
function holdEvent(event: HoldEvent['event'], hold: Hold): HoldEvent {
  return {
    event,
    id: hold.id,
    kind: hold.kind,
    until: hold.until,
    reason: hold.reason,
    who: hold.who,
    ...(hold.schedule !== undefined && { schedule: hold.schedule }),
    ...(hold.window !== undefined && { window: hold.window }),
    ...(hold.date !== undefined && { date: hold.date }),
  };
}

/**
 * One history record for a hold made, extended, released or ended. Like every history write it never
 * fails the action it records (appendHistory logs a store failure).
 */
export async function recordHold(
  store: StateStore,
  event: HoldEvent['event'],
  hold: Hold,
  source: ChangeSource,
  requestId: string,
  now = Date.now(),
): Promise<void> {
  await appendHistory(store, {
    at: new Date(now).toISOString(),
    jobGroupId: hold.jobGroupId,
    source,
    sent: {},
    set: hold.set ?? {},
    requestId,
    hold: holdEvent(event, hold),
  });
}

/**
 * Records the end of every hold in `records` whose `until` has passed: one audit line and one history
 * record each, then the record is deleted (compare-and-delete, so of several ticks or shards seeing it
 * only one records it). Returns the ended holds it recorded. A store failure is logged and left for
 * the next tick; it never fails the tick.
 */
export async function reapEndedHolds(
  store: StateStore,
  records: readonly StoredRecord[],
  context: { readonly requestId: string; readonly trigger: string },
  now = Date.now(),
): Promise<Hold[]> {
  const ended: Hold[] = [];
  const due = records.filter((record) => !inForce(record.value as unknown as Hold, now));
  // A few at a time: hundreds of pins of one rule can end together, and each costs store round trips.
  for (let start = 0; start < due.length; start += REAP_CONCURRENCY) {
    await Promise.all(due.slice(start, start + REAP_CONCURRENCY).map((record) => reapOne(record)));
  }
  return ended;

  async function reapOne(record: StoredRecord): Promise<void> {
    const hold = record.value as unknown as Hold;
    try {
      if (!(await store.delete(record.key, { expectedVersion: record.version }))) return;
      // Shards and later ticks see no record either: the group's schedule state is applied again.
      if (hold.kind !== 'skip') await store.delete(KEYS.scheduled(hold.jobGroupId));
    } catch (thrown) {
      logger.warn('ended hold not recorded; the next tick tries again', {
        holdId: hold.id,
        code: toAutopilotError(thrown).code,
      });
      return;
    }
    ended.push(hold);
    audit('hold ended', {
      requestId: context.requestId,
      who: 'scheduler',
      action: 'hold-expired',
      jobGroupIds: [hold.jobGroupId],
      hold: holdEvent('expired', hold),
    });
    await recordHold(
      store,
      'expired',
      hold,
      { kind: 'scheduler', action: 'hold-expired', trigger: context.trigger },
      context.requestId,
      now,
    );
  }
}

/** The id of the pin a rule's `holdFor` makes on a group: one per rule and group, so a repeat finds it. */
export function ruleHoldId(jobGroupId: string, rule: string): string {
  return `${jobGroupId}~${createHash('sha256').update(rule).digest('hex').slice(0, 12)}`;
}

/** Who a rule's pin names: automation excludes a rule's own pin from what holds that rule off. */
export const ruleHoldOwner = (rule: string): string => `rule:${rule}`;

/**
 * Makes or extends the pin of a rule's `holdFor`: `set` pinned until `now + ms`, or until the pin's
 * current end when that is later (a repeat never shortens it). Compare-and-set, retried on a concurrent
 * writer. Returns the pin and whether it was created or extended.
 */
export async function upsertRuleHold(
  store: StateStore,
  input: { readonly jobGroupId: string; readonly rule: string; readonly set: Target; readonly ms: number },
  now = Date.now(),
): Promise<{ hold: Hold; event: 'created' | 'extended'; ended?: Hold }> {
  const id = ruleHoldId(input.jobGroupId, input.rule);
  const key = holdKey({ jobGroupId: input.jobGroupId, id });
  let current = await store.get(key);
  for (let attempt = 0; ; attempt++) {
    const previous = current?.value as unknown as Hold | undefined;
    const live = previous && inForce(previous, now) ? previous : undefined;
    const until = Math.max(now + input.ms, live ? Date.parse(live.until) : 0);
    const hold: Hold = {
      id,
      jobGroupId: input.jobGroupId,
      kind: 'pin',
      set: input.set,
      from: live?.from ?? new Date(now).toISOString(),
      until: new Date(until).toISOString(),
      reason: `holdFor of rule ${input.rule}`,
      who: ruleHoldOwner(input.rule),
    };
    const result = current
      ? await store.update(key, { ...hold }, { expectedVersion: current.version, expiresAt: keptUntil(hold) })
      : await store.create(key, { ...hold }, { expiresAt: keptUntil(hold) });
    if (result.ok) {
      if (live) return { hold, event: 'extended' };
      // A new pin: the schedule's state is applied again when it ends, as for a webhook pin.
      await store.delete(KEYS.scheduled(input.jobGroupId));
      return { hold, event: 'created', ...(previous && { ended: previous }) };
    }
    if (attempt >= 2) {
      throw new AutopilotError('STATE_UNAVAILABLE', {
        message: `The pin of rule ${input.rule} on job group ${input.jobGroupId} kept changing under concurrent writers; not saved.`,
      });
    }
    current = 'existing' in result ? result.existing : result.current;
  }
}

export function holdsByGroup(holds: readonly Hold[]): Map<string, Hold[]> {
  const out = new Map<string, Hold[]>();
  for (const hold of holds) out.set(hold.jobGroupId, [...(out.get(hold.jobGroupId) ?? []), hold]);
  return out;
}

/** What automation may do to a group under its holds. */
export interface HoldEffect {
  /** A pause is in force: automation sends nothing. */
  readonly paused: boolean;
  /** Fields a pin keeps automation off. */
  readonly pinned: ReadonlySet<keyof Target | `params.${string}`>;
  /** Occurrences a skip removes, for desiredAt. */
  readonly skipped?: (schedule: string) => SkippedOccurrence | undefined;
  readonly holds: readonly Hold[];
}

/** The fields a target sets, as pins name them: each top-level field, and `params.X` for each param. */
export function fieldsOf(target: Target): Array<keyof Target | `params.${string}`> {
  return (Object.keys(target) as Array<keyof Target>).flatMap((key) =>
    key === 'params' ? Object.keys(target.params ?? {}).map((param) => `params.${param}` as const) : [key],
  );
}

export function holdEffect(holds: readonly Hold[], now = Date.now()): HoldEffect {
  const live = holds.filter((hold) => Date.parse(hold.from) <= now && now < Date.parse(hold.until));
  const pinned = new Set<keyof Target | `params.${string}`>();
  for (const hold of live) {
    if (hold.kind === 'pin' && hold.set) for (const field of fieldsOf(hold.set)) pinned.add(field);
  }
  const skips = live.filter((hold) => hold.kind === 'skip');
  return {
    paused: live.some((hold) => hold.kind === 'pause'),
    pinned,
    ...(skips.length > 0 && {
      skipped: (schedule: string) => {
        const mine = skips.filter((hold) => hold.schedule === schedule);
        if (mine.length === 0) return undefined;
        const days = mine.map((hold) => ({
          window: hold.window,
          day: toDayNumber(parseIsoDate(hold.date ?? '') ?? { year: 1970, month: 1, day: 1 }),
        }));
        return (window, startDay) => days.some((d) => d.window === window && d.day === startDay);
      },
    }),
    holds: live,
  };
}

/** `target` without the fields a pin holds (automation's share of it). */
export function withoutPinned(target: Target, effect: HoldEffect): Target {
  if (effect.pinned.size === 0) return target;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(target)) {
    if (key === 'params') {
      const params = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).filter(
          ([param]) => !effect.pinned.has(`params.${param}`),
        ),
      );
      if (Object.keys(params).length > 0) out.params = params;
    } else if (!effect.pinned.has(key as keyof Target)) out[key] = value;
  }
  return out as Target;
}
