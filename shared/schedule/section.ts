import type { ConfigSection } from '../config/core.js';
import { type Schedule, ScheduleSchema, validateSchedules } from './schema.js';

/** `schedules:` of the config file, as the scheduler (and `autopilot validate`) reads it. */
export const schedulesSection: ConfigSection = {
  key: 'schedules',
  entry: ScheduleSchema,
  validate: (entries, config) => validateSchedules(entries as Schedule[], config.timezone),
};
