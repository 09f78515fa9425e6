import type { LiveJobGroup } from '../cityvisual/contract.js';
import type { ConfigFile } from '../config/core.js';
import { AutopilotError, type PublicError, toAutopilotError } from '../errors.js';
import { type HistoryEntry, readHistory } from '../history/index.js';
import { type Hold, holdsByGroup, listHolds, withTimeLeft } from '../holds/index.js';
import type { Target } from '../jobgroup/target.js';
import type { Schedule } from '../schedule/index.js';
import { runBounded } from '../scheduler/pool.js';
import type { StateStore } from '../state/store.js';
import { driftOf, type EffectiveDesired, effectiveDesired, nextChanges } from './index.js';
import { localText } from './plan.js';

/** One group of the fleet overview: what `GET /v1/job-groups/{id}/status` says, for every group at once. */
export interface FleetGroup {
  readonly jobGroupId: string;
  /** The live name (with live reads), else the registry's; null when neither knows the group. */
  readonly jobGroupName: string | null;
  readonly schedule: string | null;
  readonly zone: string;
  /** null without live reads, when the live read failed, or when the instance has no such group. */
  readonly live: LiveJobGroup | null;
  readonly desired: EffectiveDesired;
  /** Fields whose live value differs from the desired one; null without a live state. */
  readonly drift: Readonly<Record<string, { readonly live: unknown; readonly desired: unknown }>> | null;
  readonly holds: ReadonlyArray<Hold & { readonly secondsLeft: number }>;
  /** The next change of the desired state within two weeks (holds applied), with its local time. */
  readonly next: {
    readonly at: string;
    readonly local: string;
    readonly target: Target;
    readonly paused: boolean;
  } | null;
  /** The newest history record: the last change applied, or a hold made or ended. */
  readonly lastAction: HistoryEntry | null;
}

export interface FleetStatus {
  readonly at: string;
  /** Whether live state was asked for (CITYVISUAL_INSTANCE_ID set). */
  readonly liveReads: boolean;
  /** The live read failed: the overview still shows the plan, without live state and drift. */
  readonly liveError: PublicError | null;
  readonly groups: readonly FleetGroup[];
}

export interface FleetInput {
  readonly config: Pick<ConfigFile, 'schedules' | 'timezone' | 'jobGroups'>;
  readonly store: StateStore;
  /** With live reads: every group of the instance, read in pages (never one call per group). */
  readonly listLive?: () => Promise<LiveJobGroup[]>;
  readonly now?: Date;
  /** Epoch ms after which no history read starts. */
  readonly deadline?: number;
  /** History reads in flight at once (one prefix read per group); default 8. */
  readonly concurrency?: number;
}

const collator = new Intl.Collator('en', { numeric: true });

/**
 * Every group's status at once, for the console's table: the groups of the schedules, the registry,
 * the holds and (with live reads) the instance; the same decision ({@link effectiveDesired}), next
 * change and drift as a single group's status. Holds are one prefix read, live state one paged listing;
 * a store that cannot be read fails the whole answer (STATE_UNAVAILABLE), a failed live read only
 * leaves live state out (`liveError`).
 */
export async function fleetStatus(input: FleetInput): Promise<FleetStatus> {
  const now = input.now ?? new Date();
  const { config } = input;
  const scheduleOf = new Map<string, Schedule>();
  for (const schedule of config.schedules)
    for (const id of schedule.jobGroupIds) scheduleOf.set(id, schedule);
  const [holds, liveResult] = await Promise.all([
    listHolds(input.store, undefined, now.getTime()),
    input.listLive
      ? input.listLive().then(
          (groups) => ({ groups }),
          (error: unknown) => ({ error: toAutopilotError(error).toPublic() }),
        )
      : undefined,
  ]);
  const liveGroups = liveResult && 'groups' in liveResult ? liveResult.groups : undefined;
  const liveById = new Map((liveGroups ?? []).map((group) => [group.jobGroupId, group]));
  const byGroup = holdsByGroup(holds);
  const ids = [
    ...new Set([
      ...scheduleOf.keys(),
      ...Object.keys(config.jobGroups),
      ...byGroup.keys(),
      ...liveById.keys(),
    ]),
  ].sort(collator.compare);

  const histories = await runBounded(
    ids,
    (jobGroupId) => readHistory(input.store, { jobGroupId, limit: 1 }).then((read) => read.records),
    {
      concurrency: input.concurrency ?? 8,
      ...(input.deadline !== undefined && { deadline: input.deadline }),
    },
  );
  // Groups of one schedule without holds want the same, now and next: worked out once per schedule.
  const shared = new Map<
    string,
    { desired: EffectiveDesired; next: ReturnType<typeof nextChanges>[number] | undefined }
  >();
  const decide = (schedule: Schedule | undefined, held: readonly Hold[]) => {
    const key = held.length === 0 ? (schedule?.name ?? '') : undefined;
    const hit = key === undefined ? undefined : shared.get(key);
    if (hit) return hit;
    const decided = {
      desired: effectiveDesired(schedule, held, now, config.timezone),
      next: nextChanges(schedule, held, now, config.timezone, 1)[0],
    };
    if (key !== undefined) shared.set(key, decided);
    return decided;
  };
  const groups = ids.map((jobGroupId, index): FleetGroup => {
    const outcome = histories[index];
    if (outcome?.state === 'error') throw outcome.error;
    if (outcome?.state !== 'done') {
      throw new AutopilotError('DEADLINE_EXCEEDED', {
        message: 'The history of every group could not be read before the invocation deadline.',
      });
    }
    const schedule = scheduleOf.get(jobGroupId);
    const zone = schedule?.timezone ?? config.timezone;
    const held = byGroup.get(jobGroupId) ?? [];
    const { desired, next } = decide(schedule, held);
    const live = liveById.get(jobGroupId) ?? null;
    return {
      jobGroupId,
      jobGroupName: live?.jobGroupName ?? config.jobGroups[jobGroupId]?.jobGroupName ?? null,
      schedule: schedule?.name ?? null,
      zone,
      live,
      desired,
      drift: live ? driftOf(desired.target, live) : null,
      holds: held.map((hold) => withTimeLeft(hold, now.getTime())),
      next: next ? { ...next, local: localText(new Date(next.at), zone) } : null,
      lastAction: outcome.value[0] ?? null,
    };
  });
  return {
    at: now.toISOString(),
    liveReads: input.listLive !== undefined,
    liveError: liveResult && 'error' in liveResult ? liveResult.error : null,
    groups,
  };
}
