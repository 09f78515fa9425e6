import type { Target } from '../jobgroup/target.js';
import { type CompiledCalendar, compileCalendar, dayRangeOf } from './calendar-days.js';
import { type DaySpec, dayFeaturesOf, daySpecOf, matchesDay, matchesFeatures } from './days.js';
import { fromDayNumber } from './local-date.js';
import type { Schedule, Window } from './schema.js';
import { localToEpochMs } from './tz.js';

/** A window with its text parsed once: minutes after midnight and the day spec. @internal */
export interface CompiledWindow {
  readonly name: string;
  readonly index: number;
  readonly spec: DaySpec;
  readonly fromMinute: number;
  readonly toMinute: number;
  /** `to <= from`: the occurrence ends on the next day (`to == from`: 24 hours later). */
  readonly endsNextDay: boolean;
  readonly set: Target;
}

/** A schedule with its text parsed once. @internal */
export interface CompiledSchedule {
  readonly windows: readonly CompiledWindow[];
  /** Inclusive day-number ranges from `except` and the calendar's holidays. */
  readonly except: ReadonlyArray<readonly [number, number]>;
  readonly otherwise: Target | undefined;
  /** The schedule's calendar, when it names one. */
  readonly calendar?: CompiledCalendar;
}

/** The name a window goes by: its own, or `windows[i]` after its position. */
export function windowNameOf(window: Pick<Window, 'name'>, index: number): string {
  return window.name ?? `windows[${index}]`;
}

/** `"07:30"` → 450; the schema has already checked the format. @internal */
export function clockMinutes(text: string): number {
  const [hours, minutes] = text.split(':');
  return Number(hours) * 60 + Number(minutes);
}

// Config is parsed once at cold start and never mutated, so compiling per schedule object is safe.
const cache = new WeakMap<Schedule, CompiledSchedule>();

/** Parses a validated schedule's text fields once. @internal */
export function compileSchedule(schedule: Schedule): CompiledSchedule {
  let compiled = cache.get(schedule);
  if (!compiled) {
    const spec = schedule.calendarSpec;
    const calendar = spec ? compileCalendar(spec.name, spec) : undefined;
    compiled = {
      windows: schedule.windows.map((window, index) => {
        const fromMinute = clockMinutes(window.from);
        const toMinute = clockMinutes(window.to);
        return {
          name: windowNameOf(window, index),
          index,
          spec: daySpecOf(window.days),
          fromMinute,
          toMinute,
          endsNextDay: toMinute <= fromMinute,
          set: window.set,
        };
      }),
      except: [
        ...schedule.except.flatMap((entry) => {
          const parsed = dayRangeOf(entry);
          if ('problem' in parsed) throw new Error(`invalid except entry: ${parsed.problem}`);
          return [parsed];
        }),
        ...(calendar?.holidays ?? []),
      ],
      otherwise: schedule.otherwise,
      ...(calendar && { calendar }),
    };
    cache.set(schedule, compiled);
  }
  return compiled;
}

/** True when the window's `days` take this day (a make-up workday as the weekday it names). @internal */
export function daysTake(schedule: CompiledSchedule, window: CompiledWindow, dayNumber: number): boolean {
  const as = schedule.calendar?.workdays.get(dayNumber);
  // A make-up workday counts as the weekday it names (its place in the month stays its own).
  return as === undefined
    ? matchesDay(window.spec, dayNumber)
    : matchesFeatures(window.spec, { ...dayFeaturesOf(dayNumber), weekday: as });
}

/** True when the day is removed by `except` or a calendar holiday. @internal */
export function isExcepted(schedule: CompiledSchedule, dayNumber: number): boolean {
  return schedule.except.some(([first, last]) => dayNumber >= first && dayNumber <= last);
}

/** True when the window has an occurrence starting on this day number (days match, not excepted). @internal */
export function startsOn(schedule: CompiledSchedule, window: CompiledWindow, dayNumber: number): boolean {
  return daysTake(schedule, window, dayNumber) && !isExcepted(schedule, dayNumber);
}

/** Start (inclusive) and end (exclusive) of the occurrence starting on a day, in epoch ms. @internal */
export function occurrenceBounds(window: CompiledWindow, dayNumber: number, zone: string): [number, number] {
  const startDate = fromDayNumber(dayNumber);
  const endDate = window.endsNextDay ? fromDayNumber(dayNumber + 1) : startDate;
  const start = localToEpochMs(
    { ...startDate, hour: Math.floor(window.fromMinute / 60), minute: window.fromMinute % 60 },
    zone,
  );
  const end = localToEpochMs(
    { ...endDate, hour: Math.floor(window.toMinute / 60), minute: window.toMinute % 60 },
    zone,
  );
  return [start, end];
}
