import type { CallOptions, CityVisualClient } from '../cityvisual/client.js';
import type { LiveJobGroup } from '../cityvisual/contract.js';
import { AutopilotError } from '../errors.js';
import { appendHistory, type ChangeSource, type HistoryEntry } from '../history/index.js';
import type { Intent } from '../intent/index.js';
import type { StateStore } from '../state/store.js';
import { type PlanInput, planChange, type RegistryEntry } from './plan.js';

export interface ApplyDeps {
  readonly client: CityVisualClient;
  /** CityVisual instance for live reads (DescribeJobGroups); without it the registry is used. */
  readonly instanceId?: string;
  readonly registry: Readonly<Record<string, RegistryEntry>>;
  readonly regionId?: string;
  /** The shared store: every applied change appends a history record there. */
  readonly store?: StateStore;
  /**
   * Live state read ahead for many groups (a reconcile's listing, see `readLiveGroups`): with
   * `instanceId`, a group is planned against its entry here, and a group without one does not exist.
   */
  readonly live?: ReadonlyMap<string, LiveJobGroup>;
}

export interface ApplyOptions extends CallOptions {
  /** Validate and plan, send nothing. */
  readonly dryRun?: boolean;
  /** Who or what decided the change, for its history record. */
  readonly source?: ChangeSource;
}

export interface ApplyResult {
  readonly jobGroupId: string;
  /** False when the group already was in the target state (nothing sent). */
  readonly changed: boolean;
  readonly dryRun: boolean;
  /** CityVisual's RequestId of the write (absent for no-ops and dry runs). */
  readonly requestId?: string;
  /** The ModifyJobGroup parameters sent (or, on a dry run, that would be sent); empty for a no-op. */
  readonly applied: Readonly<Record<string, string>>;
  readonly attempts?: number;
  /** Attempts before the answer whose outcome is unknown (see ModifyResult): they may still land. */
  readonly uncertain?: number;
}

/** A group the live read did not find (InvalidJobGroupId.NotFound, for that group only). */
export function jobGroupNotFound(jobGroupId: string, instanceId: string): AutopilotError {
  return new AutopilotError('InvalidJobGroupId.NotFound', {
    message: `Job group ${jobGroupId} does not exist in CityVisual instance ${instanceId}.`,
    field: 'jobGroupId',
  });
}

/**
 * The use case every function ends in: read the group (live or registry), plan, and send one
 * ModifyJobGroup — or nothing when nothing changes.
 */
export async function applyIntent(
  intent: Intent,
  deps: ApplyDeps,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const live = !deps.instanceId
    ? undefined
    : deps.live
      ? deps.live.get(intent.jobGroupId)
      : await deps.client.describeJobGroup(deps.instanceId, intent.jobGroupId, options);
  if (deps.instanceId && !live) throw jobGroupNotFound(intent.jobGroupId, deps.instanceId);
  // Assigned field by field, not with conditional spreads: this runs on every change.
  const input: { -readonly [K in keyof PlanInput]: PlanInput[K] } = { intent };
  if (live) input.live = live;
  const registry = deps.registry[intent.jobGroupId];
  if (registry) input.registry = registry;
  if (deps.regionId !== undefined) input.regionId = deps.regionId;
  const plan = planChange(input);
  const dryRun = options.dryRun === true;
  if (plan.kind === 'noop') return { jobGroupId: intent.jobGroupId, changed: false, dryRun, applied: {} };
  if (dryRun) return { jobGroupId: intent.jobGroupId, changed: true, dryRun, applied: plan.params };
  const { requestId, attempts, uncertain } = await deps.client.modifyJobGroup(plan.request, options);
  if (deps.store && options.source) {
    const entry: { -readonly [K in keyof HistoryEntry]: HistoryEntry[K] } = {
      at: new Date().toISOString(),
      jobGroupId: intent.jobGroupId,
      source: options.source,
      sent: plan.params,
      set: plan.changes,
      requestId,
    };
    if (live) entry.previous = previousValues(plan.changes, live);
    await appendHistory(deps.store, entry);
  }
  return {
    jobGroupId: intent.jobGroupId,
    changed: true,
    dryRun,
    requestId,
    applied: plan.params,
    attempts,
    ...(uncertain !== undefined && { uncertain }),
  };
}

/** The live values of the fields a change sets (history shows from → to). */
function previousValues(changes: Intent['target'], live: LiveJobGroup): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (changes.planedJobCount !== undefined) out.planedJobCount = live.planedJobCount;
  if (changes.jobCount !== undefined) out.jobCount = live.jobCount;
  if (changes.streamPerJob !== undefined) out.streamPerJob = live.streamPerJob;
  if (changes.status !== undefined) out.status = live.status;
  if (changes.params) {
    const params: Record<string, unknown> = {};
    for (const key of Object.keys(changes.params)) params[key] = live.params[key];
    out.params = params;
  }
  return out;
}
