import { type CityVisualClient, pacedClient } from '../cityvisual/client.js';
import { toAutopilotError } from '../errors.js';
import type { Invocation } from '../fc/context.js';
import type { TimerTick } from '../fc/timer.js';
import { type HistoryEntry, historyWritten, withJournal } from '../history/index.js';
import { toIntent } from '../intent/index.js';
import { logger } from '../log.js';
import { type NotifyFailure, sendNotifications } from '../notify/index.js';
import { applyDepsFor, clientFor, getRuntime, invocationLimiter, type Runtime } from '../runtime.js';
import { schedulesSection } from '../schedule/section.js';
import { executeChanges, splitOutcomes } from './execute.js';
import type { Fanout } from './fanout.js';
import { parseTimerPayload } from './payload.js';
import { createTokenBucket } from './rate-limiter.js';
import { holdsWatcher, reconcile } from './reconcile.js';
import { summarize, summaryError, summaryForLog, type TickSummary } from './summary.js';

/** What the scheduler function depends on beyond the tick; every field has a production default. */
export interface SchedulerDeps {
  /** Env and config; default the instance's cached {@link getRuntime}. */
  readonly runtime?: () => Runtime;
  /** Epoch ms "now" for the reconcile evaluation instant; default the invocation's start. */
  readonly now?: () => number;
  /** Fan-out of large reconciles as async self-invocations; default none (work inline). */
  readonly fanout?: Fanout;
  /**
   * Builds the fan-out per invocation (credentials, deadline) when `fanout` is not given; the deployed
   * handler passes `fanoutFromEnv` (shared/fanout), which `FANOUT_INVOKER` switches on.
   */
  readonly fanoutFor?: (invocation: Invocation, runtime: Runtime) => Fanout | undefined;
}

/**
 * The scheduler use case for one timer tick: validate the payload (before anything is sent), then
 * either reconcile the config's schedules or apply the payload's changes, with bounded concurrency
 * (`reconcile.concurrency`) and one token bucket shared by every CityVisual attempt of this
 * invocation, retries and DescribeJobGroups reads included: `reconcile.qps` for a reconcile (a shard:
 * the share its payload carries), `limits.qps` for a timer action. The bucket slows down when
 * CityVisual throttles. Both follow the holds in force (a pause keeps a group out, a pin its fields),
 * read again before each attempt leaves. Logs the summary (info) and
 * returns it; when anything failed, throws {@link summaryError} so FC's async retry and failure
 * destination see the failure and the summary.
 *
 * @example
 * const summary = await runScheduler(decodeTimerEvent(event), toInvocation(context));
 */
export async function runScheduler(
  tick: TimerTick,
  invocation: Invocation,
  deps: SchedulerDeps = {},
): Promise<TickSummary> {
  const payload = parseTimerPayload(tick.payload);
  const runtime = deps.runtime ? deps.runtime() : getRuntime([schedulesSection]);
  const settings = runtime.config.reconcile;
  // A reconcile paces at reconcile.qps (a shard at its share of it); a timer action is a batch of
  // changes, paced like the webhook's batches at limits.qps.
  const limiter =
    payload.kind === 'reconcile'
      ? createTokenBucket({ ratePerSecond: Math.min(settings.qps, payload.qps ?? settings.qps) })
      : invocationLimiter(runtime);
  // Built on first use: a tick with nothing to send, or a payload rejected later, needs no credentials.
  let built: CityVisualClient | undefined;
  const lazy = () => (built ??= clientFor(invocation, runtime));
  const client = pacedClient(
    {
      modifyJobGroup: (request, options) => lazy().modifyJobGroup(request, options),
      describeJobGroups: (query, options) => lazy().describeJobGroups(query, options),
      describeJobGroup: (instanceId, jobGroupId, options) =>
        lazy().describeJobGroup(instanceId, jobGroupId, options),
    },
    limiter,
  );
  // Every history record this tick appends (changes, holds that ended) goes into its one digest.
  const journal: HistoryEntry[] = [];
  const common = {
    applyDeps: withJournal(applyDepsFor(invocation, runtime, client), journal),
    deadline: invocation.deadline,
    maxAttempts: runtime.env.CITYVISUAL_MAX_ATTEMPTS,
  };
  const digest = (failures: readonly NotifyFailure[]) =>
    sendNotifications(
      {
        origin: {
          kind: 'tick',
          title: `Scheduler ${payload.kind === 'reconcile' ? 'reconcile' : payload.action} tick (${tick.triggerName})`,
          requestId: invocation.requestId,
          at: tick.triggerTime.getTime(),
        },
        entries: journal,
        failures,
      },
      {
        settings: runtime.config.notify,
        timezone: runtime.config.timezone,
        deadline: invocation.deadline,
        ...(common.applyDeps.store && { store: common.applyDeps.store }),
      },
    );

  let summary: TickSummary;
  if (payload.kind === 'reconcile') {
    const fanout = deps.fanout ?? deps.fanoutFor?.(invocation, runtime);
    summary = await reconcile(
      {
        config: runtime.config,
        tick: tick.triggerTime,
        trigger: tick.triggerName,
        now: deps.now?.() ?? invocation.startedAt,
        requestId: invocation.requestId,
        ...(payload.shard && { shard: payload.shard }),
        ...(payload.pages && { pages: payload.pages }),
      },
      { ...common, ...(fanout && { fanout }) },
    ).catch(async (thrown: unknown) => {
      // The tick failed as a whole (the store unreadable, say): said once, with what it did before.
      await historyWritten(common.applyDeps.store, invocation.deadline);
      await digest([{ code: toAutopilotError(thrown).code }]);
      throw thrown;
    });
  } else {
    // A timer action is automation like a schedule: a pause keeps it off the group, a pin off the pinned
    // fields (what is left of the change still goes), checked again before each attempt leaves.
    const { store } = common.applyDeps;
    const outcomes = await executeChanges(
      payload.changes.map((change) => ({
        intent: toIntent(change),
        source: { kind: 'scheduler' as const, action: payload.action, trigger: tick.triggerName },
      })),
      {
        ...common,
        concurrency: settings.concurrency,
        ...(store && { heldNow: holdsWatcher(store, Date.now) }),
        auditFields: {
          source: 'scheduler',
          action: payload.action,
          trigger: tick.triggerName,
          tick: tick.triggerTime.toISOString(),
        },
      },
    );
    summary = summarize({
      action: payload.action,
      tick: tick.triggerTime.toISOString(),
      trigger: tick.triggerName,
      due: [...new Set(payload.changes.map((change) => change.jobGroupId))],
      ...splitOutcomes(outcomes),
    });
  }

  // Every history record written, then the digest: within the deadline; whatever the channels answer,
  // the tick's outcome stays.
  await historyWritten(common.applyDeps.store, invocation.deadline);
  const notify = await digest(summary.failed);
  if (notify) summary = { ...summary, notify };

  logger.info('scheduler tick', summaryForLog(summary));
  if (summary.failed.length > 0) throw summaryError(summary);
  return summary;
}
