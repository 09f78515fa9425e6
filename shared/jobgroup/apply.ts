import type { CallOptions, CityVisualClient } from '../cityvisual/client.js';
import { AutopilotError } from '../errors.js';
import type { Intent } from '../intent/index.js';
import { planChange, type RegistryEntry } from './plan.js';
import type { Target } from './target.js';

/**
 * What this instance last applied per group. Without live reads it makes a repeated request or a
 * redelivered event free (CLARIFICATIONS 4); it is per instance and lost on cold start, which only
 * costs one harmless repeat write.
 */
export class AppliedMemory {
  readonly #targets = new Map<string, Target>();

  get(jobGroupId: string): Target | undefined {
    return this.#targets.get(jobGroupId);
  }

  /** Records a successful write: fields merge into what was applied before. */
  record(jobGroupId: string, target: Target): void {
    const previous = this.#targets.get(jobGroupId) ?? {};
    const params = previous.params || target.params ? { ...previous.params, ...target.params } : undefined;
    this.#targets.set(jobGroupId, { ...previous, ...target, ...(params && { params }) });
  }

  /** Forgets a group: after a write whose outcome is unknown (a timeout may still have applied it). */
  forget(jobGroupId: string): void {
    this.#targets.delete(jobGroupId);
  }

  clear(): void {
    this.#targets.clear();
  }
}

export interface ApplyDeps {
  readonly client: CityVisualClient;
  /** CityVisual instance for live reads (DescribeJobGroups); without it the registry is used. */
  readonly instanceId?: string;
  readonly registry: Readonly<Record<string, RegistryEntry>>;
  readonly memory: AppliedMemory;
  readonly regionId?: string;
}

export interface ApplyOptions extends CallOptions {
  /** Validate and plan, send nothing. */
  readonly dryRun?: boolean;
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
  const live = deps.instanceId
    ? await deps.client.describeJobGroup(deps.instanceId, intent.jobGroupId, options)
    : undefined;
  if (deps.instanceId && !live) {
    throw new AutopilotError('InvalidJobGroupId.NotFound', {
      message: `Job group ${intent.jobGroupId} does not exist in CityVisual instance ${deps.instanceId}.`,
      field: 'jobGroupId',
    });
  }
  const plan = planChange({
    intent,
    ...(live && { live }),
    ...(deps.registry[intent.jobGroupId] && { registry: deps.registry[intent.jobGroupId] }),
    ...(deps.memory.get(intent.jobGroupId) && { lastApplied: deps.memory.get(intent.jobGroupId) }),
    ...(deps.regionId !== undefined && { regionId: deps.regionId }),
  });
  const dryRun = options.dryRun === true;
  if (plan.kind === 'noop') return { jobGroupId: intent.jobGroupId, changed: false, dryRun, applied: {} };
  if (dryRun) return { jobGroupId: intent.jobGroupId, changed: true, dryRun, applied: plan.params };
  let sent: { requestId: string; attempts: number };
  try {
    sent = await deps.client.modifyJobGroup(plan.request, options);
  } catch (error) {
    // The write failed, or timed out after CityVisual may have applied it: what this instance last
    // applied is no longer known, so the next request for this group is sent, not skipped.
    deps.memory.forget(intent.jobGroupId);
    throw error;
  }
  const { requestId, attempts } = sent;
  deps.memory.record(intent.jobGroupId, intent.target);
  return { jobGroupId: intent.jobGroupId, changed: true, dryRun, requestId, applied: plan.params, attempts };
}
