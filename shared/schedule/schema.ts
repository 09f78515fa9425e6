import { z } from 'zod';
import { JobGroupIdSchema } from '../jobgroup/id.js';
import { PARAM_KEYS, type Target, TargetSchema } from '../jobgroup/target.js';
import { lazySchema } from '../lazy-schema.js';
import type { Calendar } from './calendar.js';
import { dayRangeOf } from './calendar-days.js';
import { clockMinutes, windowNameOf } from './compile.js';
import { adjacentDayFeatures, type DaySpec, matchesFeatures, parseDays } from './days.js';
import { TimeZoneSchema } from './timezone.js';
import { isValidTimeZone } from './tz.js';

export { TimeZoneSchema };

/** A 24-hour wall-clock time `HH:MM`, 00:00 to 23:59. */
export const ClockTimeSchema = lazySchema(() =>
  z
    .string({
      // Unquoted 07:30 is a base-60 number in YAML 1.1 tools; say what to write instead.
      error: (issue) => (issue.input === undefined ? 'required' : 'must be a quoted "HH:MM" string'),
    })
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be "HH:MM" in 24-hour time, 00:00 to 23:59')
    .meta({ description: 'Local wall-clock time "HH:MM", 24-hour' }),
);

/** `days`: one string or a non-empty list; each string a comma-separated list of day tokens. */
export const DaysSchema = lazySchema(() =>
  z
    .union([z.string(), z.array(z.string()).min(1, 'must name at least one day')])
    .superRefine((days, ctx) => {
      if (Array.isArray(days) && days.length === 0) return; // already reported by min(1)
      for (const problem of parseDays(days).problems) {
        ctx.addIssue({
          code: 'custom',
          message: problem.message,
          ...(problem.index === undefined ? {} : { path: [problem.index] }),
        });
      }
    })
    .meta({
      description:
        'Start days: mon..sun, ranges (mon-fri; fri-mon wraps), lists (mon,wed), nth weekday (sat#1..sat#5), ' +
        'last weekday (fri#L), daily or *; case-insensitive',
    }),
);

/** One `except` entry (or calendar holiday): a local date `YYYY-MM-DD` or an inclusive range `YYYY-MM-DD..YYYY-MM-DD`. */
export const ExceptEntrySchema = lazySchema(() =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?$/, {
      message: 'must be a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD',
      abort: true,
    })
    .superRefine((entry, ctx) => {
      const parsed = dayRangeOf(entry);
      if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
    }),
);

const WindowNameSchema = lazySchema(() =>
  z
    .string()
    .min(1)
    .max(64)
    .superRefine((name, ctx) => {
      // Transitions name their cause "a+b" or "otherwise"; a name must not be confusable with either.
      if (name.includes('+'))
        ctx.addIssue({ code: 'custom', message: `window name "${name}" must not contain "+"` });
      if (name === 'otherwise')
        ctx.addIssue({ code: 'custom', message: 'window name "otherwise" is reserved' });
    }),
);

/** One recurring window: on each start day in `days`, `set` applies from `from` until `to`. */
export const WindowSchema = lazySchema(() =>
  z.strictObject({
    name: WindowNameSchema.optional().meta({ description: 'Defaults to "windows[i]"' }),
    days: DaysSchema,
    from: ClockTimeSchema,
    to: ClockTimeSchema.meta({ description: 'to <= from ends on the next day; to == from lasts 24 hours' }),
    set: TargetSchema.refine((target) => Object.keys(target).length > 0, {
      message: 'must set at least one field',
      // An unknown key already says what is wrong; "sets nothing" on top of it would only confuse.
      when: (payload) => payload.issues.length === 0,
    }),
  }),
);
export type Window = z.infer<typeof WindowSchema>;

/** One schedule of the config file's `schedules` list. */
export const ScheduleSchema = lazySchema(() =>
  z.strictObject({
    name: z.string().min(1).max(128),
    jobGroupIds: z.array(JobGroupIdSchema).min(1),
    timezone: TimeZoneSchema.optional(),
    enforce: z
      .boolean()
      .default(false)
      .meta({ description: 'Re-assert every tick, reverting manual changes' }),
    windows: z.array(WindowSchema).default([]),
    otherwise: TargetSchema.refine((target) => Object.keys(target).length > 0, {
      message: 'must set at least one field; leave otherwise out to touch nothing outside the windows',
      when: (payload) => payload.issues.length === 0,
    })
      .optional()
      .meta({ description: 'Applies outside every window' }),
    except: z
      .array(ExceptEntrySchema)
      .default([])
      .meta({ description: 'Local start dates on which no window starts; only `otherwise` applies' }),
    calendar: z.string().min(1).max(64).optional().meta({
      description:
        'A calendar of `calendars:`: its holidays act as except, its workdays as the weekday they name',
    }),
  }),
);
/**
 * A schedule as the functions use it: the config entry, plus (once the config is loaded) the calendar it
 * names, copied in so the schedule stands alone (and its digest changes when the calendar does).
 */
export type Schedule = z.infer<typeof ScheduleSchema> & {
  readonly calendarSpec?: Calendar & { readonly name: string };
};

/** The config file's `schedules` list. */
export const SchedulesSchema = lazySchema(() => z.array(ScheduleSchema));

/** One cross-field problem, with the path of the field it is about. */
export interface ScheduleIssue {
  readonly path: string;
  readonly message: string;
}

interface WindowShape {
  readonly name: string;
  readonly spec: DaySpec;
  readonly start: number;
  readonly minutes: number;
  readonly set: Target;
}

/** Local intervals [start, start + minutes) intersect, the second shifted by `dayShift` days. */
function intersects(a: WindowShape, b: WindowShape, dayShift: number): boolean {
  const bStart = b.start + dayShift * 1440;
  return Math.max(a.start, bStart) < Math.min(a.start + a.minutes, bStart + b.minutes);
}

/**
 * True when some real occurrences of the two windows can share time: both start on one date, or one
 * starts the day after the other and the earlier one runs past midnight into it. Judged on wall-clock
 * minutes: resolving local times to instants never reorders them, so disjoint there means disjoint.
 */
function canOverlap(a: WindowShape, b: WindowShape): boolean {
  return adjacentDayFeatures().some(
    ([day, next]) =>
      (matchesFeatures(a.spec, day) && matchesFeatures(b.spec, day) && intersects(a, b, 0)) ||
      (matchesFeatures(a.spec, day) && matchesFeatures(b.spec, next) && intersects(a, b, 1)) ||
      (matchesFeatures(b.spec, day) && matchesFeatures(a.spec, next) && intersects(a, b, -1)),
  );
}

function checkWindows(schedule: Schedule, at: string): ScheduleIssue[] {
  const issues: ScheduleIssue[] = [];
  const shapes: Array<WindowShape | undefined> = [];
  const names = new Map<string, number>();
  schedule.windows.forEach((window, index) => {
    const path = `${at}.windows[${index}]`;
    const name = windowNameOf(window, index);
    const first = names.get(name);
    if (first === undefined) names.set(name, index);
    else
      issues.push({
        path: `${path}.name`,
        message: `duplicate window name "${name}" (also windows[${first}])`,
      });
    // Normally the schema has already rejected bad days; re-checked so this function stands alone.
    const days = parseDays(window.days);
    for (const problem of days.problems) {
      const suffix = problem.index === undefined ? '' : `[${problem.index}]`;
      issues.push({ path: `${path}.days${suffix}`, message: problem.message });
    }
    const start = clockMinutes(window.from);
    const end = clockMinutes(window.to);
    shapes.push(
      days.problems.length > 0
        ? undefined
        : {
            name,
            spec: days.spec,
            start,
            minutes: end > start ? end - start : end + 1440 - start,
            set: window.set,
          },
    );
  });
  shapes.forEach((later, j) => {
    if (!later?.set.params) return;
    for (let i = 0; i < j; i++) {
      const earlier = shapes[i];
      if (!earlier?.set.params) continue;
      const clashing = PARAM_KEYS.filter(
        (key) =>
          earlier.set.params?.[key] !== undefined &&
          later.set.params?.[key] !== undefined &&
          earlier.set.params[key] !== later.set.params[key],
      );
      if (clashing.length === 0 || !canOverlap(earlier, later)) continue;
      for (const key of clashing) {
        issues.push({
          path: `${at}.windows[${j}].set.params.${key}`,
          message:
            `${key}=${String(later.set.params[key])} conflicts with window "${earlier.name}" ` +
            `(windows[${i}], ${key}=${String(earlier.set.params?.[key])}); the two windows can overlap`,
        });
      }
    }
  });
  return issues;
}

/**
 * Cross-field checks on parsed schedules, which a zod schema of one field cannot see: a job group in two
 * schedules (or twice in one), duplicate schedule or window names, two windows that can overlap and set
 * different values for one `params` key, a schedule that sets nothing, and a missing or unknown
 * default time zone. Returns every problem; an empty list means the schedules are usable.
 *
 * @example
 * const schedules = SchedulesSchema.parse(config.schedules);
 * for (const { path, message } of validateSchedules(schedules, config.timezone)) {
 *   console.error(`${path}: ${message}`); // schedules[1].jobGroupIds[0]: job group "3" is also in …
 * }
 */
export function validateSchedules(schedules: readonly Schedule[], defaultTimezone: string): ScheduleIssue[] {
  const issues: ScheduleIssue[] = [];
  const relying = schedules.flatMap((schedule, index) => (schedule.timezone ? [] : [`schedules[${index}]`]));
  if (relying.length > 0 && !isValidTimeZone(defaultTimezone)) {
    issues.push({
      path: 'timezone',
      message: `unknown time zone "${defaultTimezone}", needed by ${relying.join(', ')} which set no timezone`,
    });
  }
  const scheduleNames = new Map<string, number>();
  const groups = new Map<string, number>();
  schedules.forEach((schedule, index) => {
    const at = `schedules[${index}]`;
    const first = scheduleNames.get(schedule.name);
    if (first === undefined) scheduleNames.set(schedule.name, index);
    else {
      issues.push({
        path: `${at}.name`,
        message: `duplicate schedule name "${schedule.name}" (also schedules[${first}])`,
      });
    }
    schedule.jobGroupIds.forEach((id, position) => {
      const owner = groups.get(id);
      if (owner === undefined) groups.set(id, index);
      else {
        issues.push({
          path: `${at}.jobGroupIds[${position}]`,
          message:
            owner === index
              ? `job group "${id}" is listed twice in this schedule`
              : `job group "${id}" is also in schedules[${owner}] ("${schedules[owner]!.name}"); a group may be in one schedule only`,
        });
      }
    });
    if (schedule.windows.length === 0 && Object.keys(schedule.otherwise ?? {}).length === 0) {
      issues.push({ path: at, message: 'sets nothing: add windows or an `otherwise`' });
    }
    issues.push(...checkWindows(schedule, at));
  });
  return issues;
}
