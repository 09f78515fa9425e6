import { z } from 'zod';
import { lazySchema } from '../lazy-schema.js';

/** The shape of a job group id (CLARIFICATIONS 3): 1–64 letters, digits, `_` or `-`. */
export const JOB_GROUP_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A job group id as accepted anywhere in this product: 1–64 letters, digits, `_` or `-`. */
export const JobGroupIdSchema = lazySchema(() =>
  z.string().regex(JOB_GROUP_ID, 'must be 1-64 characters of letters, digits, "_" or "-"'),
);
export type JobGroupId = z.infer<typeof JobGroupIdSchema>;
