import { z } from 'zod';
import { lazySchema } from '../lazy-schema.js';

/** A job group id as accepted anywhere in this product: 1–64 letters, digits, `_` or `-`. */
export const JobGroupIdSchema = lazySchema(() =>
  z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of letters, digits, "_" or "-"'),
);
export type JobGroupId = z.infer<typeof JobGroupIdSchema>;
