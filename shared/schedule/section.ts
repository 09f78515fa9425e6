import type { ConfigSection } from '../config/core.js';
import type { Issue } from '../validation.js';
import type { Calendar } from './calendar.js';
import { type Schedule, ScheduleSchema, validateSchedules } from './schema.js';

/** `schedules:` of the config file, as the scheduler (and `autopilot validate`) reads it. */
export const schedulesSection: ConfigSection = {
  key: 'schedules',
  entry: ScheduleSchema,
  validate: (entries, config) => [
    ...validateSchedules(entries as Schedule[], config.timezone),
    ...calendarReferences(entries as Schedule[], config.calendars),
  ],
  resolve: (entries, config) =>
    (entries as Schedule[]).map((schedule) => {
      const calendar = schedule.calendar === undefined ? undefined : config.calendars[schedule.calendar];
      return calendar
        ? { ...schedule, calendarSpec: { name: schedule.calendar as string, ...calendar } }
        : schedule;
    }),
};

/** Every `calendar:` names a calendar of `calendars:`. */
function calendarReferences(
  schedules: readonly Schedule[],
  calendars: Readonly<Record<string, Calendar>>,
): Issue[] {
  const names = Object.keys(calendars);
  return schedules.flatMap((schedule, index) =>
    schedule.calendar === undefined || Object.hasOwn(calendars, schedule.calendar)
      ? []
      : [
          {
            path: `schedules[${index}].calendar`,
            message: `no calendar named "${schedule.calendar}" (${names.length > 0 ? `calendars: ${names.join(', ')}` : 'add it under calendars: at the top of the config'})`,
          },
        ],
  );
}
