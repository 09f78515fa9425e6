import { z } from 'zod';
import { JobGroupIdSchema } from '../jobgroup/id.js';
import {
  countSchemas,
  type Identity,
  IdentitySchema,
  optionalCountSchemas,
  ParamsSchema,
  StatusSchema,
  type Target,
} from '../jobgroup/target.js';
import { lazySchema } from '../lazy-schema.js';

/** A value built on its first use, then kept. */
const once = <T>(build: () => T): (() => T) => {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
};

// Field sets shared by several schemas below: built with the first of them, then reused.
const scaleFields = once(() => ({
  planedJobCount: countSchemas().planedJobCount,
  jobCount: optionalCountSchemas().jobCount,
  streamPerJob: optionalCountSchemas().streamPerJob,
}));
const modifyFields = once(() => ({
  ...IdentitySchema.shape,
  ...optionalCountSchemas(),
  status: StatusSchema.optional(),
  params: ParamsSchema.optional(),
}));

/** Bodies of the single-group webhook routes (the job group id comes from the path). */
export const ScaleBodySchema = lazySchema(() => z.strictObject(scaleFields()));
export const EmptyBodySchema = lazySchema(() => z.strictObject({}));
export const ModifyBodySchema = lazySchema(() => z.strictObject(modifyFields()));

// The variants of each union below, each built when first needed: a change names its action, so it is
// checked with that variant alone (see changeSchemaFor) and a cold start builds one, not five.
const changeVariants = {
  scale: once(() =>
    z.strictObject({ action: z.literal('scale'), jobGroupId: JobGroupIdSchema, ...scaleFields() }),
  ),
  stop: once(() => z.strictObject({ action: z.literal('stop'), jobGroupId: JobGroupIdSchema })),
  start: once(() => z.strictObject({ action: z.literal('start'), jobGroupId: JobGroupIdSchema })),
  'set-params': once(() =>
    z.strictObject({ action: z.literal('set-params'), jobGroupId: JobGroupIdSchema, params: ParamsSchema }),
  ),
  modify: once(() =>
    z.strictObject({ action: z.literal('modify'), jobGroupId: JobGroupIdSchema, ...modifyFields() }),
  ),
};

/** One change to one job group: the unit of the batch form shared by webhook, timer and events. */
export const ChangeSchema = lazySchema(() =>
  z.discriminatedUnion('action', [
    changeVariants.scale(),
    changeVariants.stop(),
    changeVariants.start(),
    changeVariants['set-params'](),
    changeVariants.modify(),
  ]),
);
export type Change = z.infer<typeof ChangeSchema>;
export type ChangeAction = Change['action'];

export const MAX_BATCH = 500;
export const BatchSchema = lazySchema(() =>
  z.strictObject({ changes: z.array(z.unknown()).min(1).max(MAX_BATCH) }),
);

/** What a caller wants for one group: the fields to set, plus identity fields it supplies. */
export interface Intent {
  readonly jobGroupId: string;
  readonly action: ChangeAction;
  readonly target: Target;
  readonly identity: Identity;
}

/** Turns a validated change into an intent (absent fields stay absent: they are never touched). */
export function toIntent(change: Change): Intent {
  switch (change.action) {
    case 'scale':
      return {
        jobGroupId: change.jobGroupId,
        action: 'scale',
        target: compact({
          planedJobCount: change.planedJobCount,
          jobCount: change.jobCount,
          streamPerJob: change.streamPerJob,
        }),
        identity: {},
      };
    case 'stop':
      return { jobGroupId: change.jobGroupId, action: 'stop', target: { status: 'Stopped' }, identity: {} };
    case 'start':
      return { jobGroupId: change.jobGroupId, action: 'start', target: { status: 'Running' }, identity: {} };
    case 'set-params':
      return {
        jobGroupId: change.jobGroupId,
        action: 'set-params',
        target: { params: change.params },
        identity: {},
      };
    case 'modify': {
      const {
        jobGroupName,
        algoLibId,
        resourceProfileId,
        planedJobCount,
        jobCount,
        streamPerJob,
        status,
        params,
      } = change;
      return {
        jobGroupId: change.jobGroupId,
        action: 'modify',
        target: compact({ planedJobCount, jobCount, streamPerJob, status, params }),
        identity: compact({ jobGroupName, algoLibId, resourceProfileId }),
      };
    }
  }
}

/** Drops keys whose value is undefined, so "absent" never becomes "set to undefined". */
export function compact<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

const groupIds = once(() => z.array(JobGroupIdSchema).min(1));
const multiChangeVariants = {
  scale: once(() =>
    z.strictObject({ action: z.literal('scale'), jobGroupIds: groupIds(), ...scaleFields() }),
  ),
  stop: once(() => z.strictObject({ action: z.literal('stop'), jobGroupIds: groupIds() })),
  start: once(() => z.strictObject({ action: z.literal('start'), jobGroupIds: groupIds() })),
  'set-params': once(() =>
    z.strictObject({ action: z.literal('set-params'), jobGroupIds: groupIds(), params: ParamsSchema }),
  ),
  modify: once(() =>
    z.strictObject({ action: z.literal('modify'), jobGroupIds: groupIds(), ...modifyFields() }),
  ),
};

/**
 * The multi-group form used by timer payloads and rule actions: a change with `jobGroupIds` instead of
 * `jobGroupId`, e.g. `{"action": "stop", "jobGroupIds": ["3", "7"]}`.
 */
export const MultiChangeSchema = lazySchema(() =>
  z.discriminatedUnion('action', [
    multiChangeVariants.scale(),
    multiChangeVariants.stop(),
    multiChangeVariants.start(),
    multiChangeVariants['set-params'](),
    multiChangeVariants.modify(),
  ]),
);
export type MultiChange = z.infer<typeof MultiChangeSchema>;

/** The variant a raw value's `action` names, if it names one. */
function variantOf<V extends Record<string, () => z.ZodType>>(
  variants: V,
  raw: unknown,
): z.ZodType | undefined {
  const action = typeof raw === 'object' && raw !== null ? (raw as { action?: unknown }).action : undefined;
  return typeof action === 'string' && Object.hasOwn(variants, action) ? variants[action]?.() : undefined;
}

/**
 * The schema to check one raw change with: the variant its `action` names — exactly the check
 * {@link ChangeSchema} makes for it, without building the other four — else the whole union (which
 * says what the actions are).
 */
export function changeSchemaFor(raw: unknown): z.ZodType<Change> {
  return (variantOf(changeVariants, raw) as z.ZodType<Change> | undefined) ?? ChangeSchema;
}

/** {@link changeSchemaFor} for the multi-group form ({@link MultiChangeSchema}). */
export function multiChangeSchemaFor(raw: unknown): z.ZodType<MultiChange> {
  return (variantOf(multiChangeVariants, raw) as z.ZodType<MultiChange> | undefined) ?? MultiChangeSchema;
}

/** Expands the multi-group form into one change per group, in the order given, duplicates removed. */
export function expandMultiChange(multi: MultiChange): Change[] {
  const { jobGroupIds, ...rest } = multi;
  return [...new Set(jobGroupIds)].map((jobGroupId) => ({ ...rest, jobGroupId }) as Change);
}
