import type { LiveJobGroup, ModifyJobGroupRequest } from '../cityvisual/contract.js';
import {
  LiveModifyJobGroupRequestSchema,
  ModifyJobGroupRequestSchema,
  toRpcParams,
} from '../cityvisual/contract.js';
import { JobGroupNameSchema, ResourceIdSchema } from '../cityvisual/fields.js';
import { AutopilotError } from '../errors.js';
import type { Intent } from '../intent/index.js';
import { parseOrThrow } from '../validation.js';
import { ENABLE_PARAM_KEYS, type Params, type Target } from './target.js';

/** Static facts about a group from the config file's registry (used when live reads are off). */
export interface RegistryEntry {
  readonly jobGroupName: string;
  readonly algoLibId: string;
  readonly resourceProfileId: string;
}

export interface PlanInput {
  readonly intent: Intent;
  /** The group as DescribeJobGroups returned it, when live reads are on. */
  readonly live?: LiveJobGroup;
  readonly registry?: RegistryEntry;
  readonly regionId?: string;
}

export type Plan =
  | {
      readonly kind: 'noop';
      readonly jobGroupId: string;
      readonly reason: 'live-state-matches';
    }
  | {
      readonly kind: 'modify';
      readonly jobGroupId: string;
      readonly request: ModifyJobGroupRequest;
      /** The exact RPC parameters (without the common signing ones) that will be sent. */
      readonly params: Record<string, string>;
      /** The fields that change (all target fields when the live state is unknown). */
      readonly changes: Target;
    };

/** `true`/`false` → the API's `True`/`False`; start time values pass through. */
export function paramValue(key: keyof Params, value: boolean | string): string {
  if ((ENABLE_PARAM_KEYS as readonly string[]).includes(key)) return value ? 'True' : 'False';
  return String(value);
}

/** Fields of `target` whose value differs from the live group (all of them without a live group). */
export function diffTarget(target: Target, live: LiveJobGroup | undefined): Target {
  if (!live) return target;
  const out: { -readonly [K in keyof Target]: Target[K] } = {};
  if (target.planedJobCount !== undefined && target.planedJobCount !== live.planedJobCount)
    out.planedJobCount = target.planedJobCount;
  if (target.jobCount !== undefined && target.jobCount !== live.jobCount) out.jobCount = target.jobCount;
  if (target.streamPerJob !== undefined && target.streamPerJob !== live.streamPerJob)
    out.streamPerJob = target.streamPerJob;
  if (target.status !== undefined && target.status !== live.status) out.status = target.status;
  if (target.params) {
    const params: Record<string, boolean | string> = {};
    for (const [key, value] of Object.entries(target.params)) {
      if (value !== undefined && live.params[key] !== paramValue(key as keyof Params, value))
        params[key] = value;
    }
    if (Object.keys(params).length > 0) out.params = params as Params;
  }
  return out;
}

/**
 * Current state + intent → the complete ModifyJobGroup request, or "no change". Identity fields come,
 * in order, from the intent, the live group, the registry; a group none of them knows is a 404 that
 * says how to register it. The request is validated against the API contract before it is returned —
 * except identity values read live, which CityVisual itself holds and which go back as they are.
 */
export function planChange(input: PlanInput): Plan {
  const { intent, live, registry } = input;
  const jobGroupName = intent.identity.jobGroupName ?? live?.jobGroupName ?? registry?.jobGroupName;
  const algoLibId = intent.identity.algoLibId ?? live?.algoLibId ?? registry?.algoLibId;
  const resourceProfileId =
    intent.identity.resourceProfileId ?? live?.resourceProfileId ?? registry?.resourceProfileId;
  if (jobGroupName === undefined || algoLibId === undefined || resourceProfileId === undefined) {
    throw new AutopilotError('JOB_GROUP_NOT_REGISTERED', {
      message: `Job group ${intent.jobGroupId} is unknown: set CITYVISUAL_INSTANCE_ID so it can be read live, or add jobGroups."${intent.jobGroupId}" (jobGroupName, algoLibId, resourceProfileId) to the AUTOPILOT_CONFIG file.`,
      field: 'jobGroupId',
    });
  }
  // (Most intents carry no identity: skip the check without building anything.)
  if (!live && registry && Object.keys(intent.identity).length > 0) {
    // Without live reads every later write sends the registry's identity: a different one sent now
    // would be undone by the next scale. The registry is where it changes.
    for (const [field, value] of [
      ['jobGroupName', intent.identity.jobGroupName],
      ['algoLibId', intent.identity.algoLibId],
      ['resourceProfileId', intent.identity.resourceProfileId],
    ] as const) {
      if (value !== undefined && value !== registry[field]) {
        throw new AutopilotError('INVALID_INPUT', {
          message: `${field}: without live reads (CITYVISUAL_INSTANCE_ID unset) job group ${intent.jobGroupId}'s ${field} comes from the config registry ("${registry[field]}"), and every later change would send that value back; change jobGroups."${intent.jobGroupId}".${field} in the AUTOPILOT_CONFIG file, or enable live reads.`,
          field,
        });
      }
    }
  }
  const changes = diffTarget(intent.target, live);
  const identityChanged =
    live !== undefined &&
    (jobGroupName !== live.jobGroupName ||
      algoLibId !== live.algoLibId ||
      resourceProfileId !== live.resourceProfileId);
  const nothingToSend = Object.keys(changes).length === 0 && !identityChanged;
  if (live && nothingToSend)
    return { kind: 'noop', jobGroupId: intent.jobGroupId, reason: 'live-state-matches' };
  // Without live reads every change is sent (CLARIFICATIONS 4): absolute targets make a repeat
  // harmless, and nothing this instance remembers says what another writer did since.
  // Assigned field by field rather than with conditional spreads: this runs on every change.
  const candidate: Record<string, unknown> = {
    AlgoLibId: algoLibId,
    JobGroupId: intent.jobGroupId,
    JobGroupName: jobGroupName,
    ResourceProfileId: resourceProfileId,
  };
  if (changes.jobCount !== undefined) candidate.JobCount = changes.jobCount;
  if (changes.planedJobCount !== undefined) candidate.PlanedJobCount = changes.planedJobCount;
  if (changes.streamPerJob !== undefined) candidate.StreamPerJob = changes.streamPerJob;
  if (changes.status !== undefined) candidate.Status = changes.status;
  if (input.regionId !== undefined) candidate.RegionId = input.regionId;
  if (changes.params) {
    candidate.JobGroupParams = Object.entries(changes.params)
      .filter(([, value]) => value !== undefined)
      .map(([Key, value]) => ({ Key, Value: paramValue(Key as keyof Params, value as boolean | string) }));
  }
  let request: ModifyJobGroupRequest;
  if (live) {
    // Only what the caller supplied is checked: a name CityVisual holds (`䶮城东路口`, `Gate.North`)
    // must not make its group unchangeable with a 400 about a field the caller never sent.
    checkSupplied(intent.identity);
    request = parseOrThrow(LiveModifyJobGroupRequestSchema, candidate, 'request');
  } else request = parseOrThrow(ModifyJobGroupRequestSchema, candidate, 'request');
  return { kind: 'modify', jobGroupId: intent.jobGroupId, request, params: toRpcParams(request), changes };
}

/** The identity values a caller supplied, against the API's rules; an error names the caller's field. */
function checkSupplied(identity: Intent['identity']): void {
  if (identity.jobGroupName !== undefined)
    parseOrThrow(JobGroupNameSchema, identity.jobGroupName, 'jobGroupName');
  if (identity.algoLibId !== undefined) parseOrThrow(ResourceIdSchema, identity.algoLibId, 'algoLibId');
  if (identity.resourceProfileId !== undefined)
    parseOrThrow(ResourceIdSchema, identity.resourceProfileId, 'resourceProfileId');
}
