import { z } from 'zod';
import { lazySchema } from '../lazy-schema.js';
import { isValidTimeZone } from './tz.js';

/** An IANA time zone name that this runtime's `Intl` knows, e.g. `Asia/Shanghai`. */
export const TimeZoneSchema = lazySchema(() =>
  z
    .string()
    .superRefine((zone, ctx) => {
      if (!isValidTimeZone(zone)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown time zone "${zone}" (use an IANA name like Asia/Shanghai)`,
        });
      }
    })
    .meta({ description: 'IANA time zone, e.g. Asia/Shanghai or Europe/London' }),
);
