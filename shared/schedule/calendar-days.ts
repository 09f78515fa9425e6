import type { Calendar } from './calendar.js';
import { parseIsoDate, toDayNumber } from './local-date.js';

/** What a calendar needs at run time, apart from its schema (which only config validation builds). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type WeekdayName = (typeof WEEKDAYS)[number];

/** A local date or an inclusive range `YYYY-MM-DD..YYYY-MM-DD`, as an inclusive day-number range. */
export function dayRangeOf(text: string): readonly [number, number] | { readonly problem: string } {
  const [first, last, ...rest] = text.split('..');
  if (first === undefined || rest.length > 0) return { problem: `"${text}" is not a date or a date range` };
  const start = parseIsoDate(first);
  if (!start) return { problem: `"${first}" is not a real date (YYYY-MM-DD)` };
  if (last === undefined) return [toDayNumber(start), toDayNumber(start)];
  const end = parseIsoDate(last);
  if (!end) return { problem: `"${last}" is not a real date (YYYY-MM-DD)` };
  if (toDayNumber(end) < toDayNumber(start)) return { problem: `range "${text}" ends before it starts` };
  return [toDayNumber(start), toDayNumber(end)];
}

/** A calendar parsed once: holiday day ranges and make-up workday → ISO weekday. */
export interface CompiledCalendar {
  readonly name: string;
  readonly holidays: ReadonlyArray<readonly [number, number]>;
  readonly workdays: ReadonlyMap<number, number>;
}

export function compileCalendar(name: string, calendar: Calendar): CompiledCalendar {
  const holidays: Array<readonly [number, number]> = [];
  for (const text of calendar.holidays) {
    const range = dayRangeOf(text);
    if ('problem' in range) throw new Error(`invalid holiday: ${range.problem}`);
    holidays.push(range);
  }
  const workdays = new Map<number, number>();
  for (const workday of calendar.workdays) {
    const date = parseIsoDate(workday.date);
    if (date) workdays.set(toDayNumber(date), WEEKDAYS.indexOf(workday.as) + 1);
  }
  return { name, holidays, workdays };
}

/** Whether a day is a holiday of the calendar. */
export const isHoliday = (calendar: CompiledCalendar | undefined, day: number): boolean =>
  calendar?.holidays.some(([first, last]) => day >= first && day <= last) ?? false;
