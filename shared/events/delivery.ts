import { AutopilotError } from '../errors.js';
import type { Invocation } from '../fc/context.js';
import type { EventBridgeParseResult } from '../fc/eventbridge.js';
import { type HistoryEntry, historyWritten, withJournal } from '../history/index.js';
import type { ApplyDeps } from '../jobgroup/apply.js';
import { sendNotifications } from '../notify/index.js';
import { applyDepsFor, type Runtime } from '../runtime.js';
import { stateStoreFor } from '../state/select.js';
import type { StateStore } from '../state/store.js';
import { countOutcomes, type EventsSummary, type RetryReason, reportFailures } from './outcomes.js';
import { deliveryEntries, lazyDeps, processEvents } from './process.js';
import { logEventReports, logSummary } from './report.js';

export interface DeliveryOptions {
  /** applyIntent's dependencies; default: built from the runtime and this invocation's credentials, on first use. */
  readonly deps?: () => ApplyDeps;
  readonly concurrency?: number;
}

/**
 * The events function's use case: every entry of an EventBridge delivery → rules → job-group changes,
 * then one report per event (see `EVENT_OUTCOMES`). Invalid events, unmatched events and permanent
 * failures are logged and acknowledged; if any event failed with a retryable error (throttling past
 * retries, 5xx, timeout, deadline) the invocation fails with EVENTS_RETRYABLE_FAILURE, the summary in
 * `details.summary`, so FC's async retry redelivers and the failure destination gets it in the end.
 * Redelivery is harmless: targets are absolute and nothing is written when nothing changes.
 *
 * @example
 * const summary = await handleEventDelivery(parseEventBridgeEvent(buffer), invocation, getRuntime([rulesSection]));
 * summary.counts; // { total: 3, applied: 2, unchanged: 0, unmatched: 1, invalid: 0, 'failed-permanent': 0, 'failed-retryable': 0 }
 */
export async function handleEventDelivery(
  delivery: EventBridgeParseResult,
  invocation: Invocation,
  runtime: Runtime,
  options: DeliveryOptions = {},
): Promise<EventsSummary> {
  // Every history record the delivery appends (changes, pins of holdFor) goes into its one digest.
  const journal: HistoryEntry[] = [];
  const given = options.deps ?? (() => applyDepsFor(invocation, runtime));
  let built: ApplyDeps | undefined;
  const deps = lazyDeps(() => {
    built = withJournal(given(), journal);
    return built;
  });
  const reports = await processEvents(deliveryEntries(delivery), {
    rules: runtime.config.rules,
    commandSources: runtime.config.events?.commandSources ?? [],
    deps,
    deadline: invocation.deadline,
    requestId: invocation.requestId,
    attemptTimeoutMs: runtime.env.CITYVISUAL_TIMEOUT_MS,
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    // Every history record written before the digest and the answer to FC.
  }).finally(() => historyWritten(built?.store, invocation.deadline));
  const total = reports.length;
  const notify = await sendNotifications(
    {
      origin: {
        kind: 'events',
        title: `Event delivery of ${total} event${total === 1 ? '' : 's'}`,
        requestId: invocation.requestId,
        at: invocation.startedAt,
      },
      entries: journal,
      failures: reportFailures(reports),
    },
    {
      settings: runtime.config.notify,
      timezone: runtime.config.timezone,
      deadline: invocation.deadline,
      ...(runtime.config.notify.channels.length > 0 && storeOf(options.deps, runtime, invocation)),
    },
  );
  const summary: EventsSummary = {
    events: reports,
    counts: countOutcomes(reports),
    ...(notify && { notify }),
  };
  const ctx = { invocation, noun: 'events' } as const;
  logEventReports(reports, ctx);
  const retryable = summary.counts['failed-retryable'];
  if (retryable === 0) {
    logSummary(summary, ctx);
    return summary;
  }
  logSummary(summary, ctx, 'warn');
  const reasons = new Set<RetryReason>();
  for (const report of reports) {
    for (const change of report.changes) if (change.reason !== undefined) reasons.add(change.reason);
  }
  throw new AutopilotError('EVENTS_RETRYABLE_FAILURE', {
    message: `${retryable} of ${summary.counts.total} events failed with a retryable error (${[...reasons].join(', ')}); FC retries the delivery, which is idempotent.`,
    details: { summary },
  });
}

/** The store the delivery's changes use, for the channels' counters (given deps: theirs, if they build). */
function storeOf(
  deps: (() => ApplyDeps) | undefined,
  runtime: Runtime,
  invocation: Invocation,
): { store?: StateStore } {
  try {
    const store = deps ? deps().store : stateStoreFor(runtime.env, invocation);
    return store ? { store } : {};
  } catch {
    return {};
  }
}
