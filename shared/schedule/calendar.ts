import { z } from 'zod';
import { lazySchema } from '../lazy-schema.js';
import { dayRangeOf, WEEKDAYS } from './calendar-days.js';
import { parseIsoDate, toDayNumber } from './local-date.js';
import { ExceptEntrySchema } from './schema.js';

/**
 * Named working calendars (`calendars:` at the top of the config), shared by schedules through
 * `calendar: <name>`. China moves working days onto weekends around public holidays (调休): a
 * calendar's `holidays` behave as a schedule's `except` (no window starts that local date), and each of
 * its `workdays` counts as the weekday it names for `days` (a Saturday `as: fri` gets the `mon-fri`
 * windows and not the weekend ones).
 */

const DATE = /^\d{4}-\d{2}-\d{2}$/;

const WorkdaySchema = lazySchema(() =>
  z.strictObject({
    date: z
      .string()
      .regex(DATE, { message: 'must be a date YYYY-MM-DD', abort: true })
      .refine((text) => parseIsoDate(text) !== undefined, 'is not a real date (YYYY-MM-DD)'),
    as: z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}: the weekday the date counts as` }),
  }),
);

/** One calendar: public holidays (no window starts) and make-up working days (count as a weekday). */
export const CalendarSchema = lazySchema(() =>
  z
    .strictObject({
      holidays: z
        .array(ExceptEntrySchema)
        .default([])
        .meta({ description: 'Local dates or ranges: as `except`' }),
      workdays: z
        .array(WorkdaySchema)
        .default([])
        .meta({ description: 'Make-up working days: {date, as: mon..sun}, the weekday the date counts as' }),
    })
    .superRefine((calendar, ctx) => {
      const ranges = calendar.holidays
        .map(dayRangeOf)
        .filter((r): r is readonly [number, number] => !('problem' in r));
      const seen = new Map<string, number>();
      calendar.workdays.forEach((workday, index) => {
        const date = parseIsoDate(workday.date);
        if (!date) return;
        const day = toDayNumber(date);
        const first = seen.get(workday.date);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['workdays', index, 'date'],
            message: `${workday.date} is also workdays[${first}]`,
          });
        }
        seen.set(workday.date, index);
        if (ranges.some(([a, b]) => day >= a && day <= b)) {
          ctx.addIssue({
            code: 'custom',
            path: ['workdays', index, 'date'],
            message: `${workday.date} is both a holiday and a workday of this calendar`,
          });
        }
      });
    }),
);
export type Calendar = z.infer<typeof CalendarSchema>;

/** The config's `calendars:`: name → calendar. */
export const CalendarsSchema = lazySchema(() =>
  z
    .record(
      z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a calendar name is 1-64 letters, digits, _ . -'),
      CalendarSchema,
    )
    .default({})
    .meta({ description: 'Named working calendars (holidays, make-up workdays) schedules refer to' }),
);
