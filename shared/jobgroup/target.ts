import { z } from 'zod';
import { JobGroupNameSchema, ResourceIdSchema } from '../cityvisual/fields.js';
import { lazySchema } from '../lazy-schema.js';

/** Upper bounds we accept for counts; far above any real city deployment, low enough to catch typos. */
export const COUNT_LIMITS = { jobCount: 10_000, planedJobCount: 10_000, streamPerJob: 1_000 } as const;

export const ENABLE_PARAM_KEYS = ['ES_ENABLE', 'RDS_ENABLE', 'OUT_MQ_ENABLE', 'DATAHUB_ENABLE'] as const;
export const PARAM_KEYS = [...ENABLE_PARAM_KEYS, 'SCHEDULE_FLOW_START_TIME'] as const;
export type ParamKey = (typeof PARAM_KEYS)[number];

export const StatusSchema = lazySchema(() => z.enum(['Running', 'Stopped']));
export type Status = z.infer<typeof StatusSchema>;

const count = (max: number) => z.number().int().min(0).max(max);
type CountSchemas = { readonly [K in keyof typeof COUNT_LIMITS]: ReturnType<typeof count> };
let counts: CountSchemas | undefined;
let optionalCounts: { readonly [K in keyof CountSchemas]: z.ZodOptional<CountSchemas[K]> } | undefined;

/**
 * The three counts, each built once and shared by every schema that has one (targets, webhook bodies,
 * changes, the ModifyJobGroup contract): one count is seven zod objects, and a cold start builds them.
 */
export function countSchemas(): CountSchemas {
  counts ??= {
    planedJobCount: count(COUNT_LIMITS.planedJobCount),
    jobCount: count(COUNT_LIMITS.jobCount),
    streamPerJob: count(COUNT_LIMITS.streamPerJob),
  };
  return counts;
}

/** {@link countSchemas}, each optional (also built once). */
export function optionalCountSchemas(): NonNullable<typeof optionalCounts> {
  const { planedJobCount, jobCount, streamPerJob } = countSchemas();
  optionalCounts ??= {
    planedJobCount: planedJobCount.optional(),
    jobCount: jobCount.optional(),
    streamPerJob: streamPerJob.optional(),
  };
  return optionalCounts;
}

/**
 * Friendly `params` object: booleans for the *_ENABLE keys, Latest/Oldest for the start time. At least
 * one key: `params: {}` sets nothing, and as a target it would send a ModifyJobGroup that changes nothing.
 */
export const ParamsSchema = lazySchema(() =>
  z
    .strictObject({
      ES_ENABLE: z.boolean().optional(),
      RDS_ENABLE: z.boolean().optional(),
      OUT_MQ_ENABLE: z.boolean().optional(),
      DATAHUB_ENABLE: z.boolean().optional(),
      SCHEDULE_FLOW_START_TIME: z.enum(['Latest', 'Oldest']).optional(),
    })
    .refine((params) => Object.keys(params).length > 0, {
      message: `must set at least one of ${PARAM_KEYS.join(', ')}`,
      // An unknown key already says what is wrong.
      when: (payload) => payload.issues.length === 0,
    })
    .meta({ minProperties: 1 }),
);
export type Params = z.infer<typeof ParamsSchema>;

/**
 * The mutable state of a job group that automation may set. Every field is optional: a field that is
 * absent is never touched. Shared by webhook bodies, timer payloads, schedules and rules.
 */
export const TargetSchema = lazySchema(() =>
  z.strictObject({
    planedJobCount: optionalCountSchemas().planedJobCount,
    jobCount: optionalCountSchemas().jobCount,
    streamPerJob: optionalCountSchemas().streamPerJob,
    status: StatusSchema.optional(),
    params: ParamsSchema.optional(),
  }),
);
export type Target = z.infer<typeof TargetSchema>;

/** Identity fields ModifyJobGroup requires on every call; a request may carry new values for them. */
export const IdentitySchema = lazySchema(() =>
  z.strictObject({
    jobGroupName: JobGroupNameSchema.optional(),
    algoLibId: ResourceIdSchema.optional(),
    resourceProfileId: ResourceIdSchema.optional(),
  }),
);
export type Identity = z.infer<typeof IdentitySchema>;

/** `target` with its keys in one fixed order, so equal targets serialise (and compare) equal. */
export function canonicalTarget(target: Target): Target {
  const out: Target = {};
  if (target.planedJobCount !== undefined) out.planedJobCount = target.planedJobCount;
  if (target.jobCount !== undefined) out.jobCount = target.jobCount;
  if (target.streamPerJob !== undefined) out.streamPerJob = target.streamPerJob;
  if (target.status !== undefined) out.status = target.status;
  if (target.params !== undefined) {
    const params: Record<string, unknown> = {};
    for (const key of PARAM_KEYS) if (target.params[key] !== undefined) params[key] = target.params[key];
    out.params = params as Params;
  }
  return out;
}

/** True when two targets set the same fields to the same values. */
export function sameTarget(a: Target, b: Target): boolean {
  return JSON.stringify(canonicalTarget(a)) === JSON.stringify(canonicalTarget(b));
}
