import { isHoliday, WEEKDAYS } from './calendar-days.js';
import { compileSchedule, daysTake, isExcepted, occurrenceBounds } from './compile.js';
import { formatIsoDate, fromDayNumber, toDayNumber } from './local-date.js';
import type { Schedule } from './schema.js';
import { instantToLocal } from './tz.js';

/** A local day the calendar or `except` changed for a schedule. */
export interface DayMark {
  readonly date: string;
  /** `holiday` / `except`: windows that would start that day do not; `workday`: it counts as `as`. */
  readonly kind: 'holiday' | 'except' | 'workday';
  readonly calendar?: string;
  readonly as?: (typeof WEEKDAYS)[number];
  /** The windows the day removes (holiday, except) or adds (workday). */
  readonly windows: readonly string[];
}

/** What is unusual about a transition instant. */
export interface InstantMark {
  /** A spring-forward gap moved the time: the window says `wanted`, the clock read `became`. */
  readonly dst?: { readonly wanted: string; readonly became: string };
  /** The occurrence starting here starts on a make-up workday. */
  readonly workday?: { readonly date: string; readonly as: string; readonly calendar: string };
}

const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/**
 * The marks a plan shows for one schedule over [from, to]: days a holiday or `except` removed windows
 * from, make-up workdays, and instants a DST gap moved (or that start on a workday). What `autopilot
 * plan` and the console mark; the schedule's evaluation itself never needs them.
 */
export function scheduleMarks(
  schedule: Schedule,
  defaultZone: string,
  from: Date,
  to: Date,
): { days: DayMark[]; instants: Map<number, InstantMark> } {
  const zone = schedule.timezone ?? defaultZone;
  const compiled = compileSchedule(schedule);
  const first = toDayNumber(instantToLocal(from, zone)) - 1;
  const last = toDayNumber(instantToLocal(to, zone));
  const days: DayMark[] = [];
  const instants = new Map<number, InstantMark>();
  const mark = (ms: number, add: InstantMark) => instants.set(ms, { ...instants.get(ms), ...add });
  for (let day = first; day <= last; day++) {
    const date = formatIsoDate(fromDayNumber(day));
    const taking = compiled.windows.filter((window) => daysTake(compiled, window, day));
    const inRange = day > first;
    if (isExcepted(compiled, day)) {
      if (inRange && taking.length > 0) {
        const holiday = isHoliday(compiled.calendar, day);
        days.push({
          date,
          kind: holiday ? 'holiday' : 'except',
          ...(holiday && compiled.calendar && { calendar: compiled.calendar.name }),
          windows: taking.map((window) => window.name),
        });
      }
      continue;
    }
    const as = compiled.calendar?.workdays.get(day);
    if (as !== undefined && compiled.calendar) {
      const asName = WEEKDAYS[as - 1] as (typeof WEEKDAYS)[number];
      if (inRange)
        days.push({
          date,
          kind: 'workday',
          calendar: compiled.calendar.name,
          as: asName,
          windows: taking.map((w) => w.name),
        });
      for (const window of taking) {
        const [start] = occurrenceBounds(window, day, zone);
        mark(start, { workday: { date, as: asName, calendar: compiled.calendar.name } });
      }
    }
    for (const window of taking) {
      const bounds = occurrenceBounds(window, day, zone);
      [window.fromMinute, window.toMinute].forEach((wanted, i) => {
        const local = instantToLocal(new Date(bounds[i] as number), zone);
        const became = local.hour * 60 + local.minute;
        if (became !== wanted)
          mark(bounds[i] as number, { dst: { wanted: hhmm(wanted), became: hhmm(became) } });
      });
    }
  }
  return { days, instants };
}
