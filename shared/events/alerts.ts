import type { Invocation } from '../fc/context.js';
import { MAX_BATCH } from '../intent/index.js';
import type { ApplyDeps } from '../jobgroup/apply.js';
import { logger } from '../log.js';
import type { NotifyFailure } from '../notify/digest.js';
import { type AlertTool, parseAlertWebhook } from '../rules/index.js';
import { applyDepsFor, type Runtime } from '../runtime.js';
import {
  countOutcomes,
  type EventOutcome,
  type EventReport,
  type OutcomeCounts,
  reportFailures,
} from './outcomes.js';
import { lazyDeps, processEvents } from './process.js';
import { logEventReports, logSummary } from './report.js';

/** Alert outcomes that are answered 200: nothing for the operator to look at. */
const QUIET_OUTCOMES: ReadonlySet<EventOutcome> = new Set<EventOutcome>([
  'applied',
  'unchanged',
  'unmatched',
]);

/** The body of a 200/207 answer: one report per alert, in the payload's order. */
export interface AlertWebhookBody {
  readonly tool: AlertTool;
  /** `alerts[i]` is the outcome of the payload's `alerts[i]` (presented to the rules as an event). */
  readonly alerts: EventReport[];
  readonly counts: OutcomeCounts;
  /** True when some alert failed with a retryable error: sending the same notification again may help. */
  readonly retryable: boolean;
  /** Alerts the tool left out of the notification (its `truncatedAlerts`): never seen here. */
  readonly truncatedAlerts: number;
  /** `?dryRun=true`: the changes are planned (`changes[].planned`), nothing was sent or stored. */
  readonly dryRun: boolean;
}

/** The body of a 400 answer, in the webhook's error shape. */
export interface AlertWebhookErrorBody {
  readonly error: { readonly code: 'INVALID_JSON' | 'INVALID_INPUT'; readonly message: string };
}

/**
 * What the route answers:
 * - **200**: every alert was applied, unchanged or matched no rule.
 * - **207**: some alert is `invalid` (a rule's values), `failed-permanent` or `failed-retryable`; every
 *   alert's outcome is in the body, and `retryable` says whether resending can help.
 * - **400**: the body is not JSON, or not an Alertmanager v4 / Grafana unified-alerting payload.
 */
export type AlertWebhookResponse =
  | { readonly status: 200 | 207; readonly body: AlertWebhookBody }
  | { readonly status: 400; readonly body: AlertWebhookErrorBody };

/** The webhook route's audit facts (structurally `shared/webhook`'s AuditFacts), filled in here. */
export interface AlertAuditFacts {
  jobGroupIds: string[];
  cityVisualRequestIds: string[];
  outcome?: string;
  /** The failed changes, for the request's notification digest. */
  failures?: NotifyFailure[];
}

export interface AlertWebhookOptions {
  /** applyIntent's dependencies (the route's lazy `ctx.deps`); default built from runtime + invocation. */
  readonly deps?: () => ApplyDeps;
  /** The authenticated caller, for the audit lines (`via`). */
  readonly via?: string;
  /** The route's audit facts: groups touched, CityVisual RequestIds, `ok` / `partial` / `failed`. */
  readonly facts?: AlertAuditFacts;
  readonly concurrency?: number;
  /** Plan only: the changes that would be applied, nothing sent to CityVisual or written to the store. */
  readonly dryRun?: boolean;
}

/**
 * The alert-webhook use case behind `POST /v1/hooks/alertmanager` and `POST /v1/hooks/grafana`: each
 * firing or resolved alert becomes a CloudEvent (`parseAlertWebhook`) and goes through the same rules
 * and the same apply path as an EventBridge event. Never throws for a bad payload or a failed alert: the
 * answer says it (see {@link AlertWebhookResponse}).
 *
 * @example
 * registerRoutes({
 *   method: 'POST', path: '/v1/hooks/alertmanager', action: 'alertmanager', access: 'authenticated', body: 'none',
 *   handle: (ctx) => handleAlertWebhook('alertmanager', ctx.request.body, ctx.invocation, getRuntime([rulesSection]),
 *     { deps: ctx.deps, via: ctx.caller?.who, facts: ctx.audit }),
 * });
 */
export async function handleAlertWebhook(
  tool: AlertTool,
  /** The request body: raw bytes (the route's `request.body`), text, or already-parsed JSON. */
  body: unknown,
  invocation: Invocation,
  runtime: Runtime,
  options: AlertWebhookOptions = {},
): Promise<AlertWebhookResponse> {
  const parsed = parseAlertWebhook(tool, body);
  if (!parsed.ok) {
    logger.warn('alert webhook payload invalid', {
      requestId: invocation.requestId,
      tool,
      code: parsed.code,
      message: parsed.message,
    });
    if (options.facts) options.facts.outcome = 'failed';
    return { status: 400, body: { error: { code: parsed.code, message: parsed.message } } };
  }
  if (parsed.truncatedAlerts > 0) {
    logger.warn('alert notification truncated by the sender: some alerts were never sent', {
      requestId: invocation.requestId,
      tool,
      truncatedAlerts: parsed.truncatedAlerts,
      received: parsed.events.length,
    });
  }
  const reports = await processEvents(
    parsed.events.map((event, index) => ({ index, event })),
    {
      rules: runtime.config.rules,
      commandSources: runtime.config.events?.commandSources ?? [],
      deps: options.deps ?? lazyDeps(() => applyDepsFor(invocation, runtime)),
      deadline: invocation.deadline,
      requestId: invocation.requestId,
      attemptTimeoutMs: runtime.env.CITYVISUAL_TIMEOUT_MS,
      firingWins: true,
      maxGroups: MAX_BATCH,
      ...(options.dryRun && { dryRun: true }),
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    },
  );
  const counts = countOutcomes(reports);
  const ctx = {
    invocation,
    noun: 'alerts',
    ...(options.via !== undefined && { via: options.via }),
    ...(options.dryRun && { dryRun: true }),
  } as const;
  logEventReports(reports, ctx);
  logSummary({ events: reports, counts }, ctx);
  const noisy = reports.filter((report) => !QUIET_OUTCOMES.has(report.outcome)).length;
  if (options.facts) fillFacts(options.facts, reports, noisy, options.dryRun === true);
  return {
    status: noisy === 0 ? 200 : 207,
    body: {
      tool,
      dryRun: options.dryRun === true,
      alerts: reports,
      counts,
      retryable: counts['failed-retryable'] > 0,
      truncatedAlerts: parsed.truncatedAlerts,
    },
  };
}

function fillFacts(
  facts: AlertAuditFacts,
  reports: readonly EventReport[],
  noisy: number,
  dryRun: boolean,
): void {
  for (const report of reports) {
    for (const change of report.changes) {
      if (!facts.jobGroupIds.includes(change.jobGroupId)) facts.jobGroupIds.push(change.jobGroupId);
      // Changes merged into one write share its RequestId: list it once.
      if (
        change.outcome === 'applied' &&
        change.requestId !== null &&
        !facts.cityVisualRequestIds.includes(change.requestId)
      )
        facts.cityVisualRequestIds.push(change.requestId);
    }
  }
  facts.outcome = dryRun ? 'planned' : noisy === 0 ? 'ok' : noisy === reports.length ? 'failed' : 'partial';
  const failures = dryRun ? [] : reportFailures(reports);
  if (failures.length > 0) facts.failures = failures;
}
