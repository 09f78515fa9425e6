/** A calendar date with no time zone: what `except` entries and window start dates are made of. */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const DAY_MS = 86_400_000;

/** UTC epoch milliseconds of a wall-clock date-time; `setUTCFullYear` keeps years 0-99 literal. */
export function wallClockMs(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/** Days since 1970-01-01: lets date arithmetic (D+1, ranges) be plain integer arithmetic. */
export function toDayNumber(date: LocalDate): number {
  return Math.floor(wallClockMs(date.year, date.month, date.day) / DAY_MS);
}

/** Inverse of {@link toDayNumber}. */
export function fromDayNumber(dayNumber: number): LocalDate {
  const date = new Date(dayNumber * DAY_MS);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** ISO weekday of a day number: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday). */
export function isoWeekdayOf(dayNumber: number): number {
  return ((((dayNumber + 3) % 7) + 7) % 7) + 1;
}

/** Number of days in a month, leap years included. */
export function daysInMonth(year: number, month: number): number {
  return new Date(wallClockMs(year, month + 1, 0)).getUTCDate();
}

/** True when year-month-day names a date that exists (rejects 2026-02-29, 2026-13-01, 2026-04-31). */
export function isRealDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** `2026-10-01` as a date, or undefined when the text is not a real ISO calendar date. */
export function parseIsoDate(text: string): LocalDate | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return isRealDate(year, month, day) ? { year, month, day } : undefined;
}

/** `YYYY-MM-DD` with zero padding, for messages and logs. */
export function formatIsoDate(date: LocalDate): string {
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}
