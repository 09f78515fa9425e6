import type { Target } from '../jobgroup/target.js';
import { compileSchedule, occurrenceBounds, startsOn } from './compile.js';
import { desiredAt, sameTarget } from './evaluate.js';
import { fromDayNumber, type LocalDate, toDayNumber } from './local-date.js';
import type { Schedule } from './schema.js';
import { instantToLocal } from './tz.js';

/** One planned change for one job group. */
export interface Transition {
  readonly at: Date;
  readonly jobGroupId: string;
  /** The full desired target from `at` on (not a diff); `{}` when nothing is wanted any more. */
  readonly set: Target;
  /** Active window names joined by `+`, or `otherwise`. */
  readonly window: string;
  readonly schedule: string;
}

/** One occurrence of one window: `[start, end)`, belonging to the local start `date`. */
export interface Occurrence {
  readonly window: string;
  readonly date: LocalDate;
  readonly start: Date;
  readonly end: Date;
}

/** Every occurrence starting on a local date in [first, last], with bounds in epoch ms. */
function occurrencesOnDays(schedule: Schedule, zone: string, first: number, last: number) {
  const compiled = compileSchedule(schedule);
  const found: Array<{ window: string; day: number; start: number; end: number }> = [];
  for (let day = first; day <= last; day++) {
    for (const window of compiled.windows) {
      if (!startsOn(compiled, window, day)) continue;
      const [start, end] = occurrenceBounds(window, day, zone);
      found.push({ window: window.name, day, start, end });
    }
  }
  return found;
}

/** Local dates to scan so that every occurrence touching [from, to] is seen: a day of margin each side
 * covers occurrences running past midnight and fall-backs that repeat the end of a day. */
function dayRange(from: Date, to: Date, zone: string): [number, number] {
  return [toDayNumber(instantToLocal(from, zone)) - 2, toDayNumber(instantToLocal(to, zone)) + 1];
}

/**
 * The non-empty occurrences of a schedule's windows that overlap `[from, to)`, sorted by start
 * (then by declaration order). Useful to draw a week view.
 *
 * @example
 * occurrencesBetween(schedule, 'Asia/Shanghai', monday, nextMonday);
 * // [{ window: 'weekday-peak', date: { year: 2026, month: 6, day: 1 }, start, end }, …]
 */
export function occurrencesBetween(
  schedule: Schedule,
  defaultZone: string,
  from: Date,
  to: Date,
): Occurrence[] {
  const zone = schedule.timezone ?? defaultZone;
  const [first, last] = dayRange(from, to, zone);
  return occurrencesOnDays(schedule, zone, first, last)
    .filter(({ start, end }) => start < end && start < to.getTime() && end > from.getTime())
    .sort((a, b) => a.start - b.start)
    .map(({ window, day, start, end }) => ({
      window,
      date: fromDayNumber(day),
      start: new Date(start),
      end: new Date(end),
    }));
}

// Built on first use: creating a collator costs ~6 ms, which a cold start that never sorts should not pay.
let ids: Intl.Collator | undefined;

function byTimeThenGroup(a: Transition, b: Transition): number {
  ids ??= new Intl.Collator('en', { numeric: true });
  return (
    a.at.getTime() - b.at.getTime() ||
    ids.compare(a.jobGroupId, b.jobGroupId) ||
    (a.jobGroupId < b.jobGroupId ? -1 : a.jobGroupId > b.jobGroupId ? 1 : 0) ||
    (a.schedule < b.schedule ? -1 : a.schedule > b.schedule ? 1 : 0)
  );
}

/**
 * Every instant in `(from, to]` at which a schedule's desired target changes, as one entry per job
 * group of that schedule, sorted by time then job group id (numeric-aware: "2" before "10"). Only
 * occurrence starts and ends can change a target, so only those instants are evaluated.
 *
 * @param defaultZone the config's top-level `timezone`, used by schedules that name none
 * @example
 * planTransitions(schedules, 'Asia/Shanghai', new Date('2026-06-01T00:00:00Z'), new Date('2026-06-02T00:00:00Z'));
 * // [{ at: 2026-06-01T23:30:00.000Z, jobGroupId: '3', set: { planedJobCount: 20, status: 'Running' },
 * //    window: 'weekday-peak', schedule: 'east-district' }, …]
 */
export function planTransitions(
  schedules: readonly Schedule[],
  defaultZone: string,
  from: Date,
  to: Date,
): Transition[] {
  const transitions: Transition[] = [];
  if (to.getTime() <= from.getTime()) return transitions;
  for (const schedule of schedules) {
    const zone = schedule.timezone ?? defaultZone;
    const [first, last] = dayRange(from, to, zone);
    const candidates = new Set<number>();
    for (const { start, end } of occurrencesOnDays(schedule, zone, first, last)) {
      for (const instant of [start, end]) {
        if (instant > from.getTime() && instant <= to.getTime()) candidates.add(instant);
      }
    }
    let previous = desiredAt(schedule, from, zone);
    for (const instant of [...candidates].sort((a, b) => a - b)) {
      const current = desiredAt(schedule, new Date(instant), zone);
      if (sameTarget(previous.target, current.target)) continue;
      previous = current;
      for (const jobGroupId of schedule.jobGroupIds) {
        transitions.push({
          at: new Date(instant),
          jobGroupId,
          set: current.target,
          window: current.windows.join('+'),
          schedule: schedule.name,
        });
      }
    }
  }
  return transitions.sort(byTimeThenGroup);
}
