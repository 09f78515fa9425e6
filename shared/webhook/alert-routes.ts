import { AutopilotError } from '../errors.js';
import { handleAlertWebhook } from '../events/alerts.js';
import type { AlertTool } from '../rules/index.js';
import type { WebhookRoute } from './router.js';

/** How long Alertmanager/Grafana should wait before resending a notification that hit a retryable failure. */
const RETRY_AFTER_SECONDS = 30;

/**
 * `POST /v1/hooks/alertmanager` and `/v1/hooks/grafana`: each firing or resolved alert goes through the
 * config's rules like an EventBridge event. Bearer auth (these tools cannot sign). 200 when every alert
 * was applied, unchanged or unmatched; 207 with per-alert outcomes when some failed for good; 503 with
 * Retry-After when some failed retryably — both tools resend only on 5xx, and resending is idempotent.
 */
function alertRoute(tool: AlertTool): WebhookRoute {
  return {
    method: 'POST',
    path: `/v1/hooks/${tool}`,
    action: tool,
    access: 'authenticated',
    body: 'none',
    async handle(ctx) {
      if (ctx.dryRun) {
        throw new AutopilotError('INVALID_INPUT', {
          message:
            'dryRun is not supported on alert hooks; send the changes to /v1/batch?dryRun=true to preview them.',
          field: 'dryRun',
        });
      }
      const result = await handleAlertWebhook(tool, ctx.request.body, ctx.invocation, ctx.runtime, {
        deps: ctx.deps,
        ...(ctx.caller && { via: ctx.caller.who }),
        facts: ctx.audit,
      });
      if (result.status !== 400 && result.body.retryable) {
        return { status: 503, body: result.body, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } };
      }
      return result;
    },
  };
}

export const alertmanagerRoute = alertRoute('alertmanager');
export const grafanaRoute = alertRoute('grafana');
