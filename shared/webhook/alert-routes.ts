import { type AlertWebhookBody, handleAlertWebhook } from '../events/alerts.js';
import type { AlertTool } from '../rules/index.js';
import type { WebhookRoute } from './router.js';

/** How long Alertmanager/Grafana should wait before resending a notification that hit a retryable failure. */
const RETRY_AFTER_SECONDS = 30;

/**
 * The status of a notification some alert of which failed retryably. Grafana is told 429 when CityVisual
 * throttled (its webhook contact point treats every non-2xx alike, so the status can say what
 * happened). Alertmanager always gets 503: its webhook notifier retries 5xx only (`notify.Retrier`
 * without RetryCodes), so a 429 would drop the notification for good.
 */
function retryStatus(tool: AlertTool, body: AlertWebhookBody): 429 | 503 {
  if (tool === 'alertmanager') return 503;
  const throttled = body.alerts.some((alert) =>
    alert.changes.some(
      (change) => change.outcome === 'failed-retryable' && change.code?.startsWith('Throttling'),
    ),
  );
  return throttled ? 429 : 503;
}

/**
 * `POST /v1/hooks/alertmanager` and `/v1/hooks/grafana`: each firing or resolved alert goes through the
 * config's rules like an EventBridge event. Bearer auth (these tools cannot sign). 200 when every alert
 * was applied, unchanged or unmatched; 207 with per-alert outcomes when some failed for good; 503 with
 * Retry-After when some failed retryably (429 for Grafana when throttled, see {@link retryStatus}) —
 * never a 2xx, which both tools take as delivered; resending is idempotent.
 */
function alertRoute(tool: AlertTool, method: 'POST' | 'PUT' = 'POST'): WebhookRoute {
  return {
    method,
    path: `/v1/hooks/${tool}`,
    action: tool,
    access: 'authenticated',
    // Alertmanager's basic_auth and Grafana's basic auth: the password is a WEBHOOK_TOKENS token.
    basicAuth: true,
    body: 'none',
    async handle(ctx) {
      const result = await handleAlertWebhook(tool, ctx.request.body, ctx.invocation, ctx.runtime, {
        deps: ctx.deps,
        ...(ctx.caller && { via: ctx.caller.who }),
        facts: ctx.audit,
        ...(ctx.dryRun && { dryRun: true }),
      });
      if (result.status !== 400 && result.body.retryable) {
        return {
          status: retryStatus(tool, result.body),
          body: result.body,
          headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
        };
      }
      return result;
    },
  };
}

export const alertmanagerRoute = alertRoute('alertmanager');
export const grafanaRoute = alertRoute('grafana');
/** Grafana's webhook contact point can be set to send PUT. */
export const grafanaPutRoute = alertRoute('grafana', 'PUT');
