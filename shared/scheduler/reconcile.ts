import { type ConfigFile, MAX_SHARD_SIZE } from '../config/core.js';
import { AutopilotError, type ErrorCode, isErrorCode, toAutopilotError } from '../errors.js';
import {
  type Hold,
  type HoldEffect,
  holdEffect,
  holdsByGroup,
  listHoldRecords,
  reapEndedHolds,
  withoutPinned,
} from '../holds/index.js';
import type { Intent } from '../intent/index.js';
import { jobGroupNotFound } from '../jobgroup/apply.js';
import { type LiveRead, readLiveGroups } from '../jobgroup/live.js';
import { planChange } from '../jobgroup/plan.js';
import { sameTarget, type Target } from '../jobgroup/target.js';
import { desiredAt, planTransitions, type Schedule } from '../schedule/index.js';
import type { StoredRecord } from '../state/store.js';
import {
  type ChangeOutcome,
  type ExecuteOptions,
  executeChanges,
  failedOutcome,
  type PlannedChange,
  splitOutcomes,
} from './execute.js';
import { chunkShards, type Fanout, type Shard } from './fanout.js';
import { readScheduled, type ScheduledRecord, scheduleDigest, writeScheduled } from './records.js';
import { type DelegatedEntry, summarize, type TickSummary } from './summary.js';

/** One job group the schedules want acted on at this tick, with the state to send. */
export interface DueGroup {
  readonly jobGroupId: string;
  readonly schedule: string;
  /** The desired state at the evaluation instant (not the transition's: never stale). */
  readonly change: PlannedChange;
  /**
   * Why: `enforce` (re-asserted every tick), `converge` (the desired state differs from what the
   * scheduler last applied, or nothing was applied yet), or `transition` (no store: a change in the
   * lookback window).
   */
  readonly why: 'transition' | 'enforce' | 'converge';
  /** The schedule's digest, for the record written after the change. */
  readonly digest?: string;
}

export interface DueInput {
  readonly config: Pick<ConfigFile, 'schedules' | 'timezone' | 'reconcile'>;
  /** The tick: the timer event's triggerTime. */
  readonly tick: Date;
  /** The instant to evaluate the desired state at; default the tick. Never earlier than the tick. */
  readonly at?: Date;
  /** Reconcile only these groups (a fan-out shard). */
  readonly only?: ReadonlySet<string>;
  /**
   * What the scheduler last applied per group (the store's records). Given, a group without `enforce`
   * is due exactly when its desired state differs from its record; without it, at transitions.
   */
  readonly applied?: ReadonlyMap<string, Target>;
  /** Holds in force per group (the store's): a pause leaves the group alone, a pin keeps its fields, a skip drops an occurrence. */
  readonly holds?: ReadonlyMap<string, readonly Hold[]>;
}

// Built on first use: creating a collator costs ~6 ms, which a cold start that never sorts should not pay.
let ids: Intl.Collator | undefined;
/** Job group ids in the order every plan and shard uses: numeric-aware ("2" before "10"), then exact. */
export const compareIds = (a: string, b: string): number => {
  ids ??= new Intl.Collator('en', { numeric: true });
  return ids.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
};

/** The lookback window of a tick, ms: `lookbackTicks * tickSeconds`. */
export function lookbackMs(settings: ConfigFile['reconcile']): number {
  return settings.lookbackTicks * settings.tickSeconds * 1000;
}

/**
 * Which job groups are due at a tick, and what to send them. Level-triggered:
 *
 * - Without `enforce`, with the store's records (`applied`), a group is due exactly when its desired
 *   state differs from what the scheduler last applied to it: on first deploy, after a config edit,
 *   after a transition missed for any length of time; otherwise it is left alone (manual changes stand
 *   until the next transition). Without records (no store), a group is due when its desired state
 *   changes in `(tick − lookback, at]`, `lookback = lookbackTicks × tickSeconds`.
 * - With `enforce`, every group of the schedule is due on every tick and is sent (live reads send only
 *   what differs).
 *
 * Either way the state sent is `desiredAt(at)` — the current desired state, not the transition's — so
 * a late tick, a retry or a tick that straddles two transitions can never send a stale change, and
 * sending twice is harmless. A desired state that sets nothing (no window active, no `otherwise`) is
 * due but sends nothing.
 *
 * @example
 * dueGroups({ config, tick: new Date('2026-06-01T23:30:00Z') });
 * // [{ jobGroupId: '3', schedule: 'east-district', why: 'transition', change: { intent, cause } }]
 */
export function dueGroups(input: DueInput): DueGroup[] {
  const { config, tick, only, applied, holds } = input;
  const at = input.at && input.at.getTime() > tick.getTime() ? input.at : tick;
  const changed = new Set<string>();
  if (!applied) {
    const from = new Date(tick.getTime() - lookbackMs(config.reconcile));
    const transitionSchedules = config.schedules.filter((schedule) => !schedule.enforce);
    for (const transition of planTransitions(transitionSchedules, config.timezone, from, at)) {
      changed.add(transition.jobGroupId);
    }
  }
  const due: DueGroup[] = [];
  for (const schedule of config.schedules) {
    const inScope = schedule.jobGroupIds.filter((id) => only === undefined || only.has(id));
    if (inScope.length === 0) continue;
    const shared = desiredAt(schedule, at, config.timezone);
    for (const jobGroupId of inScope) {
      // Holds (pause > pin > schedule): automation's share of the desired state for this group.
      let desired = shared;
      const held = holds?.get(jobGroupId);
      if (held && held.length > 0) {
        const effect = holdEffect(held, at.getTime());
        if (effect.paused) continue;
        const skipped = effect.skipped?.(schedule.name);
        if (skipped) desired = desiredAt(schedule, at, config.timezone, skipped);
        desired = { ...desired, target: withoutPinned(desired.target, effect) };
      }
      let isDue = schedule.enforce;
      if (!isDue && !applied) isDue = changed.has(jobGroupId);
      else if (!isDue && applied) {
        const last = applied.get(jobGroupId);
        isDue = last === undefined || !sameTarget(last, desired.target);
      }
      if (!isDue) continue;
      due.push({
        jobGroupId,
        schedule: schedule.name,
        why: schedule.enforce ? 'enforce' : applied ? 'converge' : 'transition',
        change: changeFor(jobGroupId, schedule, desired.target, desired.windows.join('+')),
      });
    }
  }
  return due.sort((a, b) => compareIds(a.jobGroupId, b.jobGroupId));
}

function changeFor(
  jobGroupId: string,
  schedule: Schedule,
  target: Intent['target'],
  window: string,
): PlannedChange {
  return {
    intent: { jobGroupId, action: 'modify', target, identity: {} },
    cause: { schedule: schedule.name, window },
    source: { kind: 'schedule', schedule: schedule.name, window },
  };
}

/** `details.acceptedShards` of a fan-out error (see shared/fanout/dispatch.ts): indexes FC accepted. */
function acceptedShards(details: Readonly<Record<string, unknown>> | undefined): number[] {
  const value = details?.acceptedShards;
  return Array.isArray(value) ? value.filter((index): index is number => Number.isInteger(index)) : [];
}

/** `details.failedShards` of a fan-out error: each failed shard's own code, by shard index. */
function shardFailures(
  details: Readonly<Record<string, unknown>> | undefined,
): Map<number, { code: ErrorCode; retryable: boolean }> {
  const failures = new Map<number, { code: ErrorCode; retryable: boolean }>();
  const value = details?.failedShards;
  if (!Array.isArray(value)) return failures;
  for (const entry of value as Array<{ index?: unknown; code?: unknown; retryable?: unknown }>) {
    if (Number.isInteger(entry.index) && isErrorCode(entry.code) && typeof entry.retryable === 'boolean') {
      failures.set(entry.index as number, { code: entry.code, retryable: entry.retryable });
    }
  }
  return failures;
}

/** Listing pages read at once (at least): a 10,000-group listing is 100 pages of ~100 KB each. */
const LISTING_LANES = 16;

const scheduledSets = new WeakMap<ConfigFile, ReadonlySet<string>>();
/** Every group some schedule names, once per config (a warm instance checks each shard against it). */
function scheduledIds(config: ConfigFile): ReadonlySet<string> {
  let ids = scheduledSets.get(config);
  if (!ids) {
    ids = new Set(config.schedules.flatMap((schedule) => schedule.jobGroupIds));
    scheduledSets.set(config, ids);
  }
  return ids;
}

/** How often a tick re-reads the holds while it writes (see {@link holdsWatcher}). */
const HOLDS_REFRESH_MS = 1_000;

/**
 * The holds in force on a group now, for a tick's writes: all holds re-read (one prefix read) when
 * the last read (at first, `first`: the tick's own) is a second old. A tick paces its writes over seconds or minutes; a pin or pause made
 * meanwhile (an alert rule's holdFor, an operator's hold) then keeps its later writes off those
 * fields, instead of only the next tick's. A failed read fails the writes that asked (retryable).
 */
export function holdsWatcher(
  store: NonNullable<ReconcileDeps['applyDeps']['store']>,
  now: () => number,
  first?: { readonly at: number; readonly byGroup: ReadonlyMap<string, readonly Hold[]> },
): (jobGroupId: string) => Promise<HoldEffect | undefined> {
  let read: { at: number; byGroup: Promise<ReadonlyMap<string, readonly Hold[]>> } | undefined = first && {
    at: first.at,
    byGroup: Promise.resolve(first.byGroup),
  };
  return async (jobGroupId) => {
    const t = now();
    if (!read || t - read.at >= HOLDS_REFRESH_MS) {
      read = {
        at: t,
        byGroup: listHoldRecords(store).then((records) =>
          holdsByGroup(records.map((record) => record.value as unknown as Hold)),
        ),
      };
    }
    const holds = (await read.byGroup).get(jobGroupId);
    return holds && holds.length > 0 ? holdEffect(holds, now()) : undefined;
  };
}

/** How far a tick's `triggerTime` may be ahead of this instance's clock (skew between FC and us). */
export const MAX_TICK_AHEAD_MS = 60_000;

export interface ReconcileInput {
  readonly config: ConfigFile;
  readonly tick: Date;
  readonly trigger: string;
  /** Epoch ms the invocation started: the state is evaluated at `max(tick, now)`. */
  readonly now: number;
  /** A fan-out shard: reconcile only these groups, never fan out again. */
  readonly shard?: readonly string[];
  /** The FC request id, named by the audit lines and history records of holds that ended. */
  readonly requestId?: string;
  /** A shard's listing pages (see `Shard.pages`): its live read reads those, not the whole listing. */
  readonly pages?: readonly number[];
}

export interface ReconcileDeps extends Omit<ExecuteOptions, 'auditFields' | 'concurrency'> {
  /** Hands shards to FC as asynchronous invocations; without it, every due group is worked inline. */
  readonly fanout?: Fanout;
}

/**
 * The reconcile use case: work out what is due at this tick (see {@link dueGroups}) and apply it with
 * `reconcile.concurrency` groups at once, every CityVisual attempt paced by the caller's rate limiter,
 * within the invocation deadline. Returns the summary; never throws for per-group failures (the caller
 * turns a summary with failures into the invocation's error).
 *
 * The evaluation instant is `max(tick, now)`: a tick FC delivers (or retries) long after its
 * `triggerTime` sends the state wanted now, never one a later tick has already replaced. A tick more
 * than {@link MAX_TICK_AHEAD_MS} in the future is refused (INVALID_INPUT naming triggerTime). A retry of a
 * failed tick re-runs what is due: what the first run applied has its record, so it is not due again.
 * After each group is applied (or found to need nothing), its record is written to the store.
 *
 * Live reads (`CITYVISUAL_INSTANCE_ID`): the due groups are read together, paging through
 * DescribeJobGroups (see `readLiveGroups`), before anything is planned; a group the listing lacks
 * fails alone with InvalidJobGroupId.NotFound, and a group whose read failed fails alone with that
 * read's error.
 *
 * Fan-out seam: when this is not itself a shard, `deps.fanout` is given, and more than
 * `reconcile.shardSize` due groups need a write (with live reads: those not already at their target,
 * which are `unchanged` here), they are cut into chunks of `shardSize` — at most `reconcile.maxShards`
 * of them (larger chunks past that) — in listing order (with live reads; each shard then carries the
 * listing pages its groups are on) or id order ({@link compareIds}), and handed to `fanout` with each
 * shard's share of the budget, `reconcile.qps / shards`; each shard arrives back as `{"action":
 * "reconcile", "jobGroupIds": […], "pages": […], "qps": share}` at the same tick (see
 * `buildShardEvent`), and this invocation sends no write itself.
 */
export async function reconcile(input: ReconcileInput, deps: ReconcileDeps): Promise<TickSummary> {
  const { config, tick, trigger } = input;
  const { fanout, ...execute } = deps;
  const { applyDeps } = execute;
  if (tick.getTime() > input.now + MAX_TICK_AHEAD_MS) {
    // FC stamps a timer event with its scheduled time, and a shard with its parent's: never the future.
    // Taken as is, a future time would apply that future's schedule now.
    throw new AutopilotError('INVALID_INPUT', {
      message: `triggerTime: ${tick.toISOString()} is ${Math.round((tick.getTime() - input.now) / 1000)} s ahead of the clock (at most ${MAX_TICK_AHEAD_MS / 1000} s of clock skew is accepted); to see what a future tick would send, use \`npx autopilot plan --from … --to …\`.`,
      field: 'triggerTime',
    });
  }
  const at = new Date(Math.max(tick.getTime(), input.now));
  if (input.shard) {
    const scheduled = scheduledIds(config);
    const index = input.shard.findIndex((id) => !scheduled.has(id));
    if (index >= 0) {
      throw new AutopilotError('INVALID_INPUT', {
        message: `payload.jobGroupIds[${index}]: job group "${input.shard[index]}" is in no schedule of the config.`,
        field: `payload.jobGroupIds[${index}]`,
      });
    }
  }
  const shard = input.shard ? [...input.shard].sort(compareIds) : undefined;
  const store = applyDeps.store;
  // The records schedules converge against (a shard reads only its groups'); unreadable, the tick
  // fails retryably and sends nothing.
  const records = store ? await readScheduled(store, shard) : undefined;
  // Ended holds stay stored for a day, so this tick can record their end; none of them is in force.
  const holdRecords = store ? await listHoldRecords(store) : undefined;
  const holdsReadAt = (execute.now ?? Date.now)();
  const holds = holdRecords
    ? holdsByGroup(holdRecords.map((record) => record.value as unknown as Hold))
    : undefined;
  const applied = records
    ? new Map([...records].map(([id, record]) => [id, (record.value as unknown as ScheduledRecord).set]))
    : undefined;
  // A pin or pause that ended makes its group due now, with or without enforce: the schedule's state is
  // applied at the first tick after the end, however short the hold was (its record may predate it).
  // (A record a tick wrote while the hold was being made may predate it: the end decides, not the record.)
  for (const record of holdRecords ?? []) {
    const hold = record.value as unknown as Hold;
    if (hold.kind !== 'skip' && Date.parse(hold.until) <= at.getTime()) applied?.delete(hold.jobGroupId);
  }
  const due = dueGroups({
    config,
    tick,
    at,
    ...(shard && { only: new Set(shard) }),
    ...(applied && { applied }),
    ...(holds && { holds }),
  });
  const dueIds = due.map((group) => group.jobGroupId);
  // The tick (not a shard) records every hold that ended: one audit line and history record each.
  if (store && holdRecords && !shard) {
    const ended = await reapEndedHolds(
      store,
      holdRecords,
      { requestId: input.requestId ?? '', trigger },
      at.getTime(),
    );
    // The reaper forgot those groups' records (so shards apply them too): write theirs afresh.
    for (const hold of ended) if (hold.kind !== 'skip') records?.delete(hold.jobGroupId);
  }
  const base = {
    action: 'reconcile',
    tick: tick.toISOString(),
    trigger,
    evaluatedAt: at.toISOString(),
    ...(shard && { shard }),
    due: dueIds,
  };
  // One outcome per due group, by its index; undefined while it is still to be worked (or delegated).
  const outcomes: Array<ChangeOutcome | undefined> = new Array(due.length);
  const sets = (index: number) => Object.keys((due[index] as DueGroup).change.intent.target).length > 0;

  // Live reads: every due group that sets something, from as few DescribeJobGroups calls as it takes.
  let live: LiveRead | undefined;
  const instanceId = applyDeps.instanceId;
  if (instanceId !== undefined) {
    const toRead = dueIds.filter((_, index) => sets(index));
    if (toRead.length > 0) {
      live = await readLiveGroups(applyDeps.client, instanceId, toRead, {
        deadline: execute.deadline,
        // Pages are large and few: more of them in flight than groups, still paced by the budget.
        concurrency: Math.max(config.reconcile.concurrency, LISTING_LANES),
        ...(input.pages && { pages: input.pages }),
      });
      const { failed } = live;
      dueIds.forEach((id, index) => {
        const error = failed.get(id);
        if (error) outcomes[index] = failedOutcome(id, error, execute);
      });
    }
  }

  let pending = due.map((_, index) => index).filter((index) => outcomes[index] === undefined);
  if (!shard && fanout && pending.length > config.reconcile.shardSize) {
    // With live state, what is already at its target is settled here; only writes are handed out.
    const send =
      live && instanceId !== undefined
        ? pending.filter((index) => {
            const outcome = settledHere(due[index] as DueGroup, live, instanceId, applyDeps, execute);
            outcomes[index] = outcome;
            return outcome === undefined;
          })
        : pending;
    if (send.length > config.reconcile.shardSize) {
      const delegated = await delegate(send, { due, live, config, tick, trigger, fanout, outcomes });
      await writeRecords(store, records, config, due, outcomes, at);
      return summarize({
        ...base,
        ...splitOutcomes(outcomes.filter((outcome) => outcome !== undefined)),
        ...(delegated && { delegated }),
      });
    }
    pending = send;
  }

  const inline = await executeChanges(
    pending.map((index) => (due[index] as DueGroup).change),
    {
      ...execute,
      applyDeps: live ? { ...applyDeps, live: live.groups } : applyDeps,
      ...(store &&
        holds && {
          heldNow: holdsWatcher(store, execute.now ?? Date.now, { at: holdsReadAt, byGroup: holds }),
        }),
      concurrency: config.reconcile.concurrency,
      auditFields: { source: 'scheduler', action: 'reconcile', trigger, tick: base.tick },
    },
  );
  pending.forEach((index, position) => {
    outcomes[index] = inline[position];
  });
  await writeRecords(store, records, config, due, outcomes, at);
  return summarize({ ...base, ...splitOutcomes(outcomes.filter((outcome) => outcome !== undefined)) });
}

/**
 * A due group the parent of a fan-out can settle from its listing without a write: `unchanged` when it
 * sets nothing or its live state already matches, failed when the listing lacks it or its plan is
 * refused; undefined when it needs a write (a shard's work).
 */
function settledHere(
  group: DueGroup,
  live: LiveRead,
  instanceId: string,
  applyDeps: ReconcileDeps['applyDeps'],
  execute: Pick<ExecuteOptions, 'deadline' | 'maxAttempts' | 'now'>,
): ChangeOutcome | undefined {
  const { intent } = group.change;
  if (Object.keys(intent.target).length === 0) return { status: 'unchanged', jobGroupId: group.jobGroupId };
  const current = live.groups.get(group.jobGroupId);
  if (!current)
    return failedOutcome(group.jobGroupId, jobGroupNotFound(group.jobGroupId, instanceId), execute);
  try {
    const registry = applyDeps.registry[group.jobGroupId];
    const plan = planChange({
      intent,
      live: current,
      ...(registry && { registry }),
      ...(applyDeps.regionId !== undefined && { regionId: applyDeps.regionId }),
    });
    return plan.kind === 'noop' ? { status: 'unchanged', jobGroupId: group.jobGroupId } : undefined;
  } catch (thrown) {
    return failedOutcome(group.jobGroupId, thrown, execute);
  }
}

/**
 * Hands the due groups at `indexes` to the fan-out, as shards sharing the budget. Groups of shards FC
 * accepted are delegated (returned as counts); every other group gets its shard's failure outcome.
 */
async function delegate(
  indexes: readonly number[],
  ctx: {
    readonly due: readonly DueGroup[];
    readonly live: LiveRead | undefined;
    readonly config: ConfigFile;
    readonly tick: Date;
    readonly trigger: string;
    readonly fanout: Fanout;
    readonly outcomes: Array<ChangeOutcome | undefined>;
  },
): Promise<DelegatedEntry | undefined> {
  const { due, live, config, outcomes } = ctx;
  const ids = indexes.map((index) => (due[index] as DueGroup).jobGroupId);
  // Listing order: each shard's groups then sit on few pages, which is all the shard reads.
  const page = (id: string) => live?.pageOf.get(id) ?? Number.POSITIVE_INFINITY;
  if (live) ids.sort((a, b) => page(a) - page(b) || compareIds(a, b));
  const chunks = chunkShards(ids, config.reconcile.shardSize, {
    maxShards: config.reconcile.maxShards,
    maxSize: MAX_SHARD_SIZE,
  });
  const shards: Shard[] = chunks.map((jobGroupIds) => {
    const pages = live
      ? [...new Set(jobGroupIds.map(page).filter(Number.isFinite))].sort((a, b) => a - b)
      : [];
    return { jobGroupIds, ...(pages.length > 0 && { pages }) };
  });
  const indexOf = new Map(indexes.map((index) => [(due[index] as DueGroup).jobGroupId, index]));
  const qps = config.reconcile.qps / shards.length;
  try {
    await ctx.fanout(shards, { tick: ctx.tick, trigger: ctx.trigger, qps });
    return { shards: shards.length, jobGroupIds: ids.length };
  } catch (thrown) {
    const error = toAutopilotError(thrown);
    // Shards FC accepted before the failure are FC's now (delegated); only the rest failed.
    const accepted = new Set(acceptedShards(error.details));
    const failures = shardFailures(error.details);
    const failedCount = shards.length - accepted.size;
    shards.forEach((one, index) => {
      if (accepted.has(index)) return;
      const { code, retryable } = failures.get(index) ?? error;
      for (const jobGroupId of one.jobGroupIds) {
        outcomes[indexOf.get(jobGroupId) as number] = {
          status: 'failed',
          jobGroupId,
          code,
          retryable,
          message: `Shard ${index + 1} of ${shards.length} could not be handed to FC (${code}; ${failedCount} of ${shards.length} shards failed); a retry of the tick fans out again.`,
        };
      }
    });
    const delegated = shards.filter((_, index) => accepted.has(index));
    return delegated.length > 0
      ? { shards: delegated.length, jobGroupIds: delegated.reduce((n, one) => n + one.jobGroupIds.length, 0) }
      : undefined;
  }
}

/**
 * After the work: each group brought to (or found at) its desired state gets its record, unless the
 * record already says exactly that. Transition-mode groups (no store records) keep none.
 */
async function writeRecords(
  store: ReconcileDeps['applyDeps']['store'],
  records: Map<string, StoredRecord> | undefined,
  config: ConfigFile,
  due: readonly DueGroup[],
  outcomes: readonly (ChangeOutcome | undefined)[],
  at: Date,
): Promise<void> {
  if (!store || !records) return;
  const schedules = new Map(config.schedules.map((schedule) => [schedule.name, schedule]));
  await Promise.all(
    outcomes.map((outcome, index) => {
      const group = due[index] as DueGroup;
      if (outcome === undefined || outcome.status === 'failed' || group.why === 'transition')
        return undefined;
      const schedule = schedules.get(group.schedule) as Schedule;
      // An enforced group re-asserted to what its record already says needs no write to the store.
      const last = records.get(group.jobGroupId)?.value as unknown as ScheduledRecord | undefined;
      if (
        last &&
        sameTarget(last.set, group.change.intent.target) &&
        last.schedule === group.schedule &&
        last.configDigest === scheduleDigest(schedule)
      ) {
        return undefined;
      }
      return writeScheduled(
        store,
        group.jobGroupId,
        {
          set: group.change.intent.target,
          schedule: group.schedule,
          window: String(group.change.cause?.window ?? ''),
          configDigest: scheduleDigest(schedule),
          at: at.toISOString(),
        },
        records.get(group.jobGroupId),
      );
    }),
  );
}
