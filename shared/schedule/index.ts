/**
 * Schedules: when each job group should have which target, in the operator's time zone. Pure domain
 * code (no I/O): the scheduler function and the CLI's `validate` and `plan` build on it.
 */
export { type DaySpec, type DaysInput, type DaysProblem, matchesDay, parseDays } from './days.js';
export { canonicalTarget, type Desired, desiredAt, mergeTargets, sameTarget } from './evaluate.js';
export { formatIsoDate, fromDayNumber, type LocalDate, toDayNumber } from './local-date.js';
export {
  ClockTimeSchema,
  DaysSchema,
  ExceptEntrySchema,
  type Schedule,
  type ScheduleIssue,
  ScheduleSchema,
  SchedulesSchema,
  TimeZoneSchema,
  validateSchedules,
  type Window,
  WindowSchema,
} from './schema.js';
export { type Occurrence, occurrencesBetween, planTransitions, type Transition } from './transitions.js';
export {
  instantToLocal,
  isValidTimeZone,
  type LocalDateTime,
  type LocalReading,
  localToInstant,
} from './tz.js';
