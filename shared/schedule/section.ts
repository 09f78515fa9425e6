import type { ConfigSection } from '../config/core.js';
import type { Issue } from '../validation.js';
import { type Calendar, CalendarsSchema } from './calendar.js';
import { type Schedule, ScheduleSchema, validateSchedules } from './schema.js';

/** `schedules:` of the config file, as the scheduler (and `autopilot validate`) reads it. */
export const schedulesSection: ConfigSection = {
  key: 'schedules',
  entry: ScheduleSchema,
  extraKeys: () => ({ calendars: CalendarsSchema.default({}) }),
  validate: (entries, config) => [
    ...validateSchedules(entries as Schedule[], config.timezone),
    ...calendarReferences(
      entries as Schedule[],
      (config as { calendars?: Record<string, Calendar> }).calendars ?? {},
    ),
  ],
  // The calendar is linked in as a non-enumerable property: the config still serialises (the build's
  // autopilot.json) and validates exactly as written, while the schedule carries what it needs.
  resolve: (entries, config) =>
    (entries as Schedule[]).map((schedule) => {
      const calendars = (config as { calendars?: Record<string, Calendar> }).calendars ?? {};
      const calendar = schedule.calendar === undefined ? undefined : calendars[schedule.calendar];
      if (!calendar) return schedule;
      const linked = { ...schedule };
      Object.defineProperty(linked, 'calendarSpec', {
        value: { name: schedule.calendar as string, ...calendar },
        enumerable: false,
      });
      return linked;
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
