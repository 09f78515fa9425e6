import type { CityVisualClient } from '../cityvisual/client.js';
import type { LiveJobGroup } from '../cityvisual/contract.js';
import type { ConfigFile } from '../config/core.js';
import { type HistoryEntry, readHistory } from '../history/index.js';
import { type Hold, holdEffect, listHolds, withTimeLeft } from '../holds/index.js';
import { paramValue } from '../jobgroup/plan.js';
import type { Params, Target } from '../jobgroup/target.js';
import { desiredAt, planTransitions, type Schedule, sameTarget } from '../schedule/index.js';
import type { StateStore } from '../state/store.js';

/** What decided one field of the desired state. */
export type Decider =
  | { readonly by: 'schedule'; readonly schedule: string; readonly window: string }
  | { readonly by: 'hold'; readonly holdId: string; readonly kind: 'pin' };

/** A group's desired state at one instant, as automation sees it: the schedule, then the holds. */
export interface EffectiveDesired {
  readonly target: Target;
  /** Field (`planedJobCount`, `params.ES_ENABLE`, …) → what decided it. */
  readonly decidedBy: Readonly<Record<string, Decider>>;
  /** A pause is in force: automation sends nothing, whatever the target says. */
  readonly paused: boolean;
}

/**
 * The one decision function status, plan and the console read (ARCHITECTURE, What a decision looks
 * like): the schedule's state at `at` (a skip removing its occurrence), then pins over it; a pause turns
 * automation off. The scheduler applies the same composition.
 */
export function effectiveDesired(
  schedule: Schedule | undefined,
  holds: readonly Hold[],
  at: Date,
  defaultZone: string,
): EffectiveDesired {
  const effect = holdEffect(holds, at.getTime());
  const decidedBy: Record<string, Decider> = {};
  let target: Target = {};
  if (schedule) {
    const desired = desiredAt(schedule, at, defaultZone, effect.skipped?.(schedule.name));
    target = desired.target;
    const window = desired.windows.join('+');
    for (const key of Object.keys(target)) {
      if (key === 'params') {
        for (const param of Object.keys(target.params ?? {})) {
          decidedBy[`params.${param}`] = { by: 'schedule', schedule: schedule.name, window };
        }
      } else decidedBy[key] = { by: 'schedule', schedule: schedule.name, window };
    }
  }
  for (const hold of effect.holds) {
    if (hold.kind !== 'pin' || !hold.set) continue;
    const params = hold.set.params || target.params ? { ...target.params, ...hold.set.params } : undefined;
    target = { ...target, ...hold.set, ...(params && { params: params as Params }) };
    for (const key of Object.keys(hold.set)) {
      if (key === 'params') {
        for (const param of Object.keys(hold.set.params ?? {})) {
          decidedBy[`params.${param}`] = { by: 'hold', holdId: hold.id, kind: 'pin' };
        }
      } else decidedBy[key] = { by: 'hold', holdId: hold.id, kind: 'pin' };
    }
  }
  return { target, decidedBy, paused: effect.paused };
}

export interface StatusInput {
  readonly jobGroupId: string;
  readonly config: Pick<ConfigFile, 'schedules' | 'timezone'>;
  readonly store: StateStore;
  /** With live reads: the client and instance to read the group from. */
  readonly live?: { readonly client: CityVisualClient; readonly instanceId: string };
  readonly now?: Date;
}

export interface GroupStatus {
  readonly jobGroupId: string;
  readonly at: string;
  readonly schedule: string | null;
  readonly desired: EffectiveDesired;
  readonly holds: ReadonlyArray<Hold & { readonly secondsLeft: number }>;
  readonly next: ReadonlyArray<{ readonly at: string; readonly target: Target; readonly paused: boolean }>;
  /** null without live reads. */
  readonly live: LiveJobGroup | null;
  /** Fields whose live value differs from the desired one (null without live reads). */
  readonly drift: Readonly<Record<string, { readonly live: unknown; readonly desired: unknown }>> | null;
  readonly history: readonly HistoryEntry[];
}

const HORIZON_MS = 14 * 86_400_000;

/** The next `count` changes of the effective desired state within two weeks (holds applied). */
export function nextChanges(
  schedule: Schedule | undefined,
  holds: readonly Hold[],
  now: Date,
  defaultZone: string,
  count = 3,
): Array<{ at: string; target: Target; paused: boolean }> {
  const end = new Date(now.getTime() + HORIZON_MS);
  const instants = new Set<number>();
  if (schedule)
    for (const t of planTransitions([schedule], defaultZone, now, end)) instants.add(t.at.getTime());
  for (const hold of holds) {
    const until = Date.parse(hold.until);
    if (until > now.getTime() && until <= end.getTime()) instants.add(until);
  }
  const out: Array<{ at: string; target: Target; paused: boolean }> = [];
  let previous = effectiveDesired(schedule, holds, now, defaultZone);
  for (const ms of [...instants].sort((a, b) => a - b)) {
    const next = effectiveDesired(schedule, holds, new Date(ms), defaultZone);
    if (next.paused !== previous.paused || !sameTarget(next.target, previous.target)) {
      out.push({ at: new Date(ms).toISOString(), target: next.target, paused: next.paused });
      if (out.length >= count) break;
    }
    previous = next;
  }
  return out;
}

/** Fields whose live value differs from the desired one (params compared as CityVisual spells them). */
export function driftOf(
  target: Target,
  live: LiveJobGroup,
): Record<string, { live: unknown; desired: unknown }> {
  const drift: Record<string, { live: unknown; desired: unknown }> = {};
  for (const key of ['planedJobCount', 'jobCount', 'streamPerJob', 'status'] as const) {
    const desired = target[key];
    if (desired !== undefined && live[key] !== desired) drift[key] = { live: live[key], desired };
  }
  for (const [key, value] of Object.entries(target.params ?? {})) {
    if (value === undefined) continue;
    const wanted = paramValue(key as keyof Params, value);
    if (live.params[key] !== wanted)
      drift[`params.${key}`] = { live: live.params[key] ?? null, desired: wanted };
  }
  return drift;
}

/** What is in force for one group and why: `GET /v1/job-groups/{id}/status` and `autopilot status`. */
export async function groupStatus(input: StatusInput): Promise<GroupStatus> {
  const now = input.now ?? new Date();
  const schedule = input.config.schedules.find((s) => s.jobGroupIds.includes(input.jobGroupId));
  const [holds, history, live] = await Promise.all([
    listHolds(input.store, input.jobGroupId),
    readHistory(input.store, { jobGroupId: input.jobGroupId, limit: 5 }).then((read) => read.records),
    input.live ? input.live.client.describeJobGroup(input.live.instanceId, input.jobGroupId) : undefined,
  ]);
  const desired = effectiveDesired(schedule, holds, now, input.config.timezone);
  return {
    jobGroupId: input.jobGroupId,
    at: now.toISOString(),
    schedule: schedule?.name ?? null,
    desired,
    holds: holds.map((hold) => withTimeLeft(hold, now.getTime())),
    next: nextChanges(schedule, holds, now, input.config.timezone),
    live: live ?? null,
    drift: live ? driftOf(desired.target, live) : null,
    history,
  };
}
