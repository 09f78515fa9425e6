import type { ConfigFile } from '../config/core.js';
import { type Hold, holdsByGroup } from '../holds/index.js';
import type { Target } from '../jobgroup/target.js';
import { compileSchedule, occurrenceBounds } from '../schedule/compile.js';
import {
  instantToLocal,
  localToInstant,
  occurrencesBetween,
  planTransitions,
  type Schedule,
  sameTarget,
} from '../schedule/index.js';
import { formatIsoDate, parseIsoDate, toDayNumber } from '../schedule/local-date.js';
import { type DayMark, type InstantMark, scheduleMarks } from '../schedule/marks.js';
import { effectiveDesired } from './index.js';

/** One change the schedules make to one group, and what the holds in force do to it. */
export interface PlanRow {
  readonly at: string;
  readonly jobGroupId: string;
  readonly schedule: string;
  /** The window (or `otherwise`) that decides the schedule's state from `at`; `hold ends` for a hold's end. */
  readonly window: string;
  /** The schedule's desired state from `at` (for a hold's end: the state automation applies then). */
  readonly set: Target;
  /** A skip removes this change: the occurrence it starts or ends does not apply. */
  readonly skipped?: { readonly holdId: string };
  /** Holds change what automation sends at `at`: what it sends instead (or nothing while paused). */
  readonly held?: {
    readonly holdIds: readonly string[];
    readonly paused: boolean;
    readonly effective: Target;
  };
  /** The row is a hold's end: automation takes the group back then. */
  readonly holdEnds?: { readonly holdId: string; readonly kind: Hold['kind'] };
}

/** The instants a skip hold removes: the start and end of its occurrence. */
function skipInstants(hold: Hold, schedule: Schedule, zone: string): number[] {
  if (hold.kind !== 'skip' || hold.schedule !== schedule.name) return [];
  const window = compileSchedule(schedule).windows.find((w) => w.name === hold.window);
  const date = parseIsoDate(hold.date ?? '');
  if (!window || !date) return [];
  return occurrenceBounds(window, toDayNumber(date), zone);
}

/**
 * The schedules' changes in `[from, to]` per group, with `holds` applied: a change a skip removes is
 * marked `skipped`, a change a pin or pause alters is marked `held` with what automation sends instead,
 * and each pin's or pause's end in the range is a row of its own. Without holds, the rows are exactly
 * `planTransitions`. What `autopilot plan --url` prints and the console draws.
 */
export function planWithHolds(
  config: Pick<ConfigFile, 'schedules' | 'timezone'>,
  holds: readonly Hold[],
  from: Date,
  to: Date,
): PlanRow[] {
  const byGroup = holdsByGroup(holds);
  const schedules = new Map<string, Schedule>();
  for (const schedule of config.schedules) for (const id of schedule.jobGroupIds) schedules.set(id, schedule);
  const rows: PlanRow[] = [];
  for (const t of planTransitions(config.schedules, config.timezone, from, to)) {
    const row: PlanRow = {
      at: t.at.toISOString(),
      jobGroupId: t.jobGroupId,
      schedule: t.schedule,
      window: t.window,
      set: t.set,
    };
    const held = byGroup.get(t.jobGroupId);
    const schedule = schedules.get(t.jobGroupId);
    if (!held || !schedule) {
      rows.push(row);
      continue;
    }
    const zone = schedule.timezone ?? config.timezone;
    const skip = held.find((hold) => skipInstants(hold, schedule, zone).includes(t.at.getTime()));
    const effective = effectiveDesired(schedule, held, t.at, config.timezone);
    const deciding = held.filter(
      (hold) =>
        hold.kind !== 'skip' &&
        Date.parse(hold.from) <= t.at.getTime() &&
        t.at.getTime() < Date.parse(hold.until),
    );
    rows.push({
      ...row,
      ...(skip && { skipped: { holdId: skip.id } }),
      ...(deciding.length > 0 &&
        (effective.paused || !sameTarget(effective.target, t.set)) && {
          held: {
            holdIds: deciding.map((hold) => hold.id),
            paused: effective.paused,
            effective: effective.target,
          },
        }),
    });
  }
  for (const hold of holds) {
    const until = Date.parse(hold.until);
    const schedule = schedules.get(hold.jobGroupId);
    if (hold.kind === 'skip' || until <= from.getTime() || until > to.getTime()) continue;
    const group = byGroup.get(hold.jobGroupId) ?? [];
    const after = effectiveDesired(schedule, group, new Date(until), config.timezone);
    rows.push({
      at: new Date(until).toISOString(),
      jobGroupId: hold.jobGroupId,
      schedule: schedule?.name ?? '',
      window: 'hold ends',
      set: after.target,
      holdEnds: { holdId: hold.id, kind: hold.kind },
      ...(after.paused && {
        held: {
          // The pauses still in force when this hold ends.
          holdIds: group
            .filter((h) => h.kind === 'pause' && Date.parse(h.from) <= until && until < Date.parse(h.until))
            .map((h) => h.id),
          paused: true,
          effective: after.target,
        },
      }),
    });
  }
  return rows.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.jobGroupId < b.jobGroupId ? -1 : 1));
}

/** A change of the plan, with where and when it happens in local terms, and what is unusual about it. */
export interface PlanChange extends PlanRow {
  readonly kind: 'change';
  /** `2026-10-10 07:30`, in `zone`. */
  readonly local: string;
  readonly zone: string;
  /** UTC offset in force then, `+08:00`. */
  readonly offset: string;
  readonly dst?: InstantMark['dst'];
  readonly workday?: InstantMark['workday'];
}

/** A local day a holiday or `except` took windows from, or a make-up workday added them to. */
export interface PlanDay extends DayMark {
  readonly at: string;
  readonly jobGroupId: string;
  readonly schedule: string;
  readonly local: string;
  readonly zone: string;
}

export type PlanEntry = PlanChange | PlanDay;

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-10-10 07:30` in `zone`. */
export function localText(at: Date, zone: string): string {
  const l = instantToLocal(at, zone);
  return `${l.year}-${pad(l.month)}-${pad(l.day)} ${pad(l.hour)}:${pad(l.minute)}`;
}

/** The UTC offset in force at `at` in `zone`, `+08:00`. */
export function offsetText(at: Date, zone: string): string {
  const l = instantToLocal(at, zone);
  const wall = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  const minutes = Math.round((wall - at.getTime()) / 60_000);
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * The plan over [from, to] as entries sorted by time then group: every change of {@link planWithHolds}
 * with its local time, zone and marks (a DST gap that moved it, an occurrence starting on a make-up
 * workday), and the local days a holiday or `except` took windows from or a workday gave them to.
 * `jobGroupId` filters to one group. What `autopilot plan` prints and the console draws.
 */
export function planEntries(
  config: Pick<ConfigFile, 'schedules' | 'timezone'>,
  holds: readonly Hold[],
  from: Date,
  to: Date,
  jobGroupId?: string,
): PlanEntry[] {
  const schedules =
    jobGroupId === undefined
      ? config.schedules
      : config.schedules.filter((schedule) => schedule.jobGroupIds.includes(jobGroupId));
  const scoped = { ...config, schedules };
  const marks = new Map(
    schedules.map((schedule) => [schedule.name, scheduleMarks(schedule, config.timezone, from, to)]),
  );
  const entries: PlanEntry[] = [];
  // One group: only its own holds can change its rows (planWithHolds works per group).
  const own = jobGroupId === undefined ? holds : holds.filter((hold) => hold.jobGroupId === jobGroupId);
  for (const row of planWithHolds(scoped, own, from, to)) {
    if (jobGroupId !== undefined && row.jobGroupId !== jobGroupId) continue;
    const schedule = schedules.find((s) => s.name === row.schedule);
    const zone = schedule?.timezone ?? config.timezone;
    const at = new Date(row.at);
    const mark = marks.get(row.schedule)?.instants.get(at.getTime());
    entries.push({
      kind: 'change',
      ...row,
      local: localText(at, zone),
      zone,
      offset: offsetText(at, zone),
      ...(mark?.dst && { dst: mark.dst }),
      ...(mark?.workday && { workday: mark.workday }),
    });
  }
  for (const schedule of schedules) {
    const zone = schedule.timezone ?? config.timezone;
    for (const day of marks.get(schedule.name)?.days ?? []) {
      const date = parseIsoDate(day.date);
      if (!date) continue;
      const at = localToInstant({ ...date, hour: 0, minute: 0 }, zone);
      if (at.getTime() < from.getTime() - 86_400_000 || at.getTime() > to.getTime()) continue;
      for (const id of schedule.jobGroupIds) {
        if (jobGroupId !== undefined && id !== jobGroupId) continue;
        entries.push({
          ...day,
          at: at.toISOString(),
          jobGroupId: id,
          schedule: schedule.name,
          local: localText(at, zone),
          zone,
        });
      }
    }
  }
  const order = (entry: PlanEntry) => (entry.kind === 'change' ? 1 : 0);
  return entries.sort((a, b) =>
    a.at !== b.at ? (a.at < b.at ? -1 : 1) : order(a) - order(b) || (a.jobGroupId < b.jobGroupId ? -1 : 1),
  );
}

/** A field of a target by its decidedBy name (`planedJobCount`, `params.ES_ENABLE`). */
function fieldValue(target: Target, field: string): unknown {
  return field.startsWith('params.')
    ? (target.params as Record<string, unknown> | undefined)?.[field.slice('params.'.length)]
    : (target as Record<string, unknown>)[field];
}

/** What decided one field at an instant: a window (and the local date its occurrence started), or a hold. */
export type FieldDecision =
  | {
      readonly by: 'schedule';
      readonly schedule: string;
      readonly window: string;
      /** The local start date of the deciding occurrence (absent for `otherwise`). */
      readonly date?: string;
      readonly workday?: { readonly as: string; readonly calendar: string };
    }
  | { readonly by: 'hold'; readonly holdId: string; readonly kind: 'pin' };

/** A group's desired state at one instant and what decided each field: `autopilot plan --at`. */
export interface PlanAt {
  readonly jobGroupId: string;
  readonly schedule: string;
  readonly at: string;
  readonly local: string;
  readonly zone: string;
  readonly offset: string;
  readonly target: Target;
  readonly decidedBy: Readonly<Record<string, FieldDecision>>;
  readonly paused: boolean;
  /** Windows a holiday or `except` removed today, or a make-up workday's weekday. */
  readonly day?: DayMark;
}

export function planAt(
  config: Pick<ConfigFile, 'schedules' | 'timezone'>,
  holds: readonly Hold[],
  at: Date,
  jobGroupId?: string,
): PlanAt[] {
  const byGroup = holdsByGroup(holds);
  const out: PlanAt[] = [];
  for (const schedule of config.schedules) {
    const zone = schedule.timezone ?? config.timezone;
    const occurrences = occurrencesBetween(schedule, config.timezone, at, new Date(at.getTime() + 1));
    const windows = new Map(compileSchedule(schedule).windows.map((window) => [window.name, window.set]));
    const marks = scheduleMarks(schedule, config.timezone, at, at);
    const today = formatIsoDate(instantToLocal(at, zone));
    const day = marks.days.find((mark) => mark.date === today);
    for (const id of schedule.jobGroupIds) {
      if (jobGroupId !== undefined && id !== jobGroupId) continue;
      const desired = effectiveDesired(schedule, byGroup.get(id) ?? [], at, config.timezone);
      const decidedBy: Record<string, FieldDecision> = {};
      for (const [field, decider] of Object.entries(desired.decidedBy)) {
        if (decider.by === 'hold') {
          decidedBy[field] = decider;
          continue;
        }
        // The occurrence in force whose window sets this field to the value it has (the merge keeps the
        // largest count and Running, so that window decided it); `otherwise` when none sets it.
        const wanted = fieldValue(desired.target, field);
        const occurrence = occurrences.find((o) => {
          const set = windows.get(o.window);
          return set !== undefined && JSON.stringify(fieldValue(set, field)) === JSON.stringify(wanted);
        });
        const date = occurrence ? formatIsoDate(occurrence.date) : undefined;
        const workday = date
          ? marks.days.find((mark) => mark.kind === 'workday' && mark.date === date)
          : undefined;
        decidedBy[field] = {
          by: 'schedule',
          schedule: schedule.name,
          window: occurrence?.window ?? 'otherwise',
          ...(date !== undefined && { date }),
          ...(workday?.as && workday.calendar && { workday: { as: workday.as, calendar: workday.calendar } }),
        };
      }
      out.push({
        jobGroupId: id,
        schedule: schedule.name,
        at: at.toISOString(),
        local: localText(at, zone),
        zone,
        offset: offsetText(at, zone),
        target: desired.target,
        decidedBy,
        paused: desired.paused,
        ...(day && { day }),
      });
    }
  }
  return out;
}
