import { z } from 'zod';
import { JobGroupIdSchema } from '../jobgroup/id.js';
import { ENABLE_PARAM_KEYS, optionalCountSchemas, PARAM_KEYS, type Status } from '../jobgroup/target.js';
import { lazySchema } from '../lazy-schema.js';
import { JobGroupNameSchema, RegionIdSchema, ResourceIdSchema } from './fields.js';

export { JobGroupNameSchema, RegionIdSchema, ResourceIdSchema };

/** CityVisual API version every call is signed for. */
export const API_VERSION = '2018-10-30';

export const ParamKeySchema = lazySchema(() => z.enum(PARAM_KEYS));
const isEnableKey = (key: string) => (ENABLE_PARAM_KEYS as readonly string[]).includes(key);

export const JobGroupParamSchema = lazySchema(() =>
  z.strictObject({
    Key: ParamKeySchema,
    Value: z.enum(['True', 'False', 'Latest', 'Oldest']),
  }),
);

/** Builds the request schema; the identity fields' schemas are the only part that varies. */
function modifyRequestSchema(name: z.ZodType<string>, resourceId: z.ZodType<string>) {
  return z
    .strictObject({
      AlgoLibId: resourceId,
      JobGroupId: JobGroupIdSchema,
      JobGroupName: name,
      ResourceProfileId: resourceId,
      JobCount: optionalCountSchemas().jobCount,
      PlanedJobCount: optionalCountSchemas().planedJobCount,
      StreamPerJob: optionalCountSchemas().streamPerJob,
      Status: z.enum(['Running', 'Stopped']).optional(),
      RegionId: RegionIdSchema.optional(),
      JobGroupParams: z.array(JobGroupParamSchema).max(PARAM_KEYS.length).optional(),
    })
    .superRefine((request, ctx) => {
      const seen = new Set<string>();
      request.JobGroupParams?.forEach((param, index) => {
        if (seen.has(param.Key)) {
          ctx.addIssue({
            code: 'custom',
            path: ['JobGroupParams', index, 'Key'],
            message: `duplicate key ${param.Key}`,
          });
        }
        seen.add(param.Key);
        const allowed = isEnableKey(param.Key) ? ['True', 'False'] : ['Latest', 'Oldest'];
        if (!allowed.includes(param.Value)) {
          ctx.addIssue({
            code: 'custom',
            path: ['JobGroupParams', index, 'Value'],
            message: `${param.Key} takes ${allowed.join(' or ')}`,
          });
        }
      });
    });
}

/**
 * The ModifyJobGroup request in API casing, every rule of the API doc enforced. Upper bounds on counts
 * are ours (COUNT_LIMITS): far above any real deployment, low enough to stop a typo like 10000000.
 */
export const ModifyJobGroupRequestSchema = lazySchema(() =>
  modifyRequestSchema(JobGroupNameSchema, ResourceIdSchema),
);

/**
 * The same request for a group read live with DescribeJobGroups: `JobGroupName`, `AlgoLibId` and
 * `ResourceProfileId` may be values CityVisual itself holds, which go back exactly as read (CityVisual
 * accepted them once; a name like `䶮城东路口` or `Gate.North` must not make the group unchangeable).
 * The planner checks the identity values a caller supplies on their own, against the full rules.
 */
export const LiveModifyJobGroupRequestSchema = lazySchema(() => modifyRequestSchema(z.string(), z.string()));
export type ModifyJobGroupRequest = z.infer<typeof ModifyJobGroupRequestSchema>;

/**
 * Request → RPC parameters for pop-core: flat string map, `JobGroupParams.N.Key/Value` numbered from 1,
 * and no key at all for an absent field (pop-core would send `undefined` as the string "undefined").
 */
export function toRpcParams(request: ModifyJobGroupRequest): Record<string, string> {
  const params: Record<string, string> = {
    AlgoLibId: request.AlgoLibId,
    JobGroupId: request.JobGroupId,
    JobGroupName: request.JobGroupName,
    ResourceProfileId: request.ResourceProfileId,
  };
  if (request.JobCount !== undefined) params.JobCount = String(request.JobCount);
  if (request.PlanedJobCount !== undefined) params.PlanedJobCount = String(request.PlanedJobCount);
  if (request.StreamPerJob !== undefined) params.StreamPerJob = String(request.StreamPerJob);
  if (request.Status !== undefined) params.Status = request.Status;
  if (request.RegionId !== undefined) params.RegionId = request.RegionId;
  request.JobGroupParams?.forEach((param, index) => {
    params[`JobGroupParams.${index + 1}.Key`] = param.Key;
    params[`JobGroupParams.${index + 1}.Value`] = param.Value;
  });
  return params;
}

// ---- responses -------------------------------------------------------------------------------------

const RequestIdSchema = lazySchema(() => z.string().min(1).max(128));

/** `{RequestId}`: ModifyJobGroup's whole success body (extra fields tolerated). */
export const ModifyJobGroupResponseSchema = lazySchema(() => z.looseObject({ RequestId: RequestIdSchema }));

const IntSchema = lazySchema(() => z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]));
const IdStringSchema = lazySchema(() => z.union([z.string(), z.number().transform(String)]));

/**
 * A live status as DescribeJobGroups reports it, kept as sent. The doc lists `starting`, `running`,
 * `stopping` and `stopped` (lowercase); a group can also be in a state no doc lists (`Creating`,
 * `Exception`, …), which is reported as it is rather than refused.
 */
const LiveStatusSchema = lazySchema(() => z.string());

/** Statuses ModifyJobGroup takes, any case: a starting group is heading to Running, a stopping one to Stopped. */
const KNOWN_LIVE_STATUS: ReadonlyMap<string, Status> = new Map([
  ['starting', 'Running'],
  ['running', 'Running'],
  ['stopping', 'Stopped'],
  ['stopped', 'Stopped'],
]);

/**
 * A live group's status as ModifyJobGroup spells it (`Running` / `Stopped`), or the status exactly as
 * CityVisual reported it when it is neither: such a status never equals a desired `Running` or
 * `Stopped`, so a change to the group is sent and CityVisual decides.
 */
export type LiveStatus = Status | (string & {});

/** The live status → {@link LiveStatus}. */
export function toLiveStatus(raw: string): LiveStatus {
  return KNOWN_LIVE_STATUS.get(raw.toLowerCase()) ?? raw;
}

const ParamListSchema = lazySchema(() => z.array(z.looseObject({ Key: z.string(), Value: z.string() })));

const RawJobGroupSchema = lazySchema(() =>
  z.looseObject({
    JobGroupId: IdStringSchema,
    JobGroupName: z.string().optional(),
    Name: z.string().optional(),
    AlgoLibId: IdStringSchema,
    ResourceProfileId: IdStringSchema,
    JobCount: IntSchema.optional(),
    PlanedJobCount: IntSchema.optional(),
    StreamPerJob: IntSchema.optional(),
    Status: LiveStatusSchema,
    JobGroupParams: z.union([ParamListSchema, z.looseObject({ JobGroupParam: ParamListSchema })]).optional(),
    ComputeJobs: z
      .union([z.array(z.unknown()), z.looseObject({ ComputeJob: z.array(z.unknown()) })])
      .optional(),
  }),
);

/** One job group as we use it, whichever documented shape CityVisual answered with. */
export const LiveJobGroupSchema = lazySchema(() =>
  RawJobGroupSchema.transform((raw, ctx) => {
    const jobGroupName = raw.JobGroupName ?? raw.Name;
    if (jobGroupName === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'job group has neither JobGroupName nor Name',
        path: ['JobGroupName'],
      });
      return z.NEVER;
    }
    const paramList = Array.isArray(raw.JobGroupParams)
      ? raw.JobGroupParams
      : (raw.JobGroupParams?.JobGroupParam ?? []);
    const computeJobs = Array.isArray(raw.ComputeJobs)
      ? raw.ComputeJobs
      : (raw.ComputeJobs?.ComputeJob ?? []);
    return {
      jobGroupId: raw.JobGroupId,
      jobGroupName,
      algoLibId: raw.AlgoLibId,
      resourceProfileId: raw.ResourceProfileId,
      jobCount: raw.JobCount,
      planedJobCount: raw.PlanedJobCount,
      streamPerJob: raw.StreamPerJob,
      liveStatus: raw.Status,
      status: toLiveStatus(raw.Status),
      params: Object.fromEntries(paramList.map((p) => [p.Key, p.Value])) as Record<string, string>,
      computeJobCount: computeJobs.length,
    };
  }),
);
export type LiveJobGroup = z.infer<typeof LiveJobGroupSchema>;

/** DescribeJobGroups: `JobGroups.JobGroup[]` (SDK model) or a bare `JobGroups[]` (doc example). */
export const DescribeJobGroupsResponseSchema = lazySchema(() =>
  z
    .looseObject({
      RequestId: RequestIdSchema,
      TotalCount: IntSchema.optional(),
      PageNumber: IntSchema.optional(),
      PageSize: IntSchema.optional(),
      JobGroups: z
        .union([
          z.array(LiveJobGroupSchema),
          z.looseObject({ JobGroup: z.array(LiveJobGroupSchema).optional() }),
        ])
        .optional(),
    })
    .transform((raw) => {
      const jobGroups = Array.isArray(raw.JobGroups) ? raw.JobGroups : (raw.JobGroups?.JobGroup ?? []);
      return { requestId: raw.RequestId, totalCount: raw.TotalCount ?? jobGroups.length, jobGroups };
    }),
);
export type DescribeJobGroupsResult = z.infer<typeof DescribeJobGroupsResponseSchema>;
