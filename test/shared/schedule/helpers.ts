import type { z } from 'zod';
import { type Schedule, ScheduleSchema } from '../../../shared/schedule/index.js';

/** A parsed schedule with defaults for the fields a test does not care about. */
export function schedule(fields: Partial<z.input<typeof ScheduleSchema>>): Schedule {
  return ScheduleSchema.parse({ name: 'test', jobGroupIds: ['1'], ...fields });
}
