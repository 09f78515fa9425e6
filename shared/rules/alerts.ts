/**
 * Alert webhooks (Prometheus Alertmanager, Grafana unified alerting) turned into CloudEvents, one per
 * alert, so the same rules serve cloud events and alerts. The event for one alert:
 *
 * | tool         | `source`                  | `type`                                                    |
 * |--------------|---------------------------|-----------------------------------------------------------|
 * | Alertmanager | `prometheus.alertmanager` | `alertmanager.alert.firing` / `alertmanager.alert.resolved` |
 * | Grafana      | `grafana`                 | `grafana.alert.firing` / `grafana.alert.resolved`           |
 *
 * `id` is `<fingerprint>:<startsAt>:<status>` (fingerprint computed from the labels when the tool sent
 * none), so a repeated notification of the same alert state has the same id and dedupes. `subject` is the
 * `alertname` label; `time` is `startsAt` (firing) or `endsAt` (resolved). `data` holds the alert
 * (`status`, `labels`, `annotations`, `startsAt`, `endsAt`, `generatorURL`, `fingerprint`, and for
 * Grafana `ruleUID`, `values`, `valueString`, `silenceURL`, `dashboardURL`, `panelURL`, with the
 * notification's `orgId`, `title`, `state`, `message`) plus `receiver`, `groupKey`, `externalURL`.
 * Labels and annotations are always strings: match `"3"`, not `3`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CloudEvent } from '../fc/eventbridge.js';
import { compact } from '../intent/index.js';
import { lazySchema } from '../lazy-schema.js';
import { formatPath } from '../validation.js';
import { decodeJsonInput, type JsonValue } from './json.js';

export const ALERT_SOURCES = { alertmanager: 'prometheus.alertmanager', grafana: 'grafana' } as const;
export type AlertTool = keyof typeof ALERT_SOURCES;

export const ALERT_EVENT_TYPES = {
  alertmanager: { firing: 'alertmanager.alert.firing', resolved: 'alertmanager.alert.resolved' },
  grafana: { firing: 'grafana.alert.firing', resolved: 'grafana.alert.resolved' },
} as const;

const AlertStatusSchema = lazySchema(() => z.enum(['firing', 'resolved']));
const StringMapSchema = lazySchema(() => z.record(z.string(), z.string()));

// Functions, not objects: their fields are schemas, built only with the payload schema that uses them.
const alertFields = () => ({
  status: AlertStatusSchema,
  labels: StringMapSchema,
  annotations: StringMapSchema.optional(),
  startsAt: z.string().min(1),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).optional(),
});
const groupFields = () => ({
  receiver: z.string(),
  status: AlertStatusSchema,
  groupKey: z.string().optional(),
  groupLabels: StringMapSchema.optional(),
  commonLabels: StringMapSchema.optional(),
  commonAnnotations: StringMapSchema.optional(),
  externalURL: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
});

/**
 * Alertmanager webhook payload, version 4. Extra fields are tolerated.
 * Doc: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
export const AlertmanagerPayloadSchema = lazySchema(() =>
  z.looseObject({
    version: z.literal('4', { error: 'only Alertmanager webhook version "4" is understood' }),
    ...groupFields(),
    // No bound on the number of alerts (a big incident is exactly when they matter): the body limit
    // bounds the payload, and the hook bounds the distinct changes they lead to.
    alerts: z.array(z.looseObject(alertFields())),
  }),
);
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayloadSchema>;

/**
 * Grafana unified-alerting webhook payload (`version: "1"`; the legacy alerting payload is not
 * understood). Extra fields are tolerated.
 * Doc: https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/
 */
export const GrafanaPayloadSchema = lazySchema(() =>
  z.looseObject({
    version: z.literal('1', { error: 'only Grafana unified alerting webhooks (version "1") are understood' }),
    ...groupFields(),
    orgId: z.number().int().optional(),
    title: z.string().optional(),
    state: z.string().optional(),
    message: z.string().optional(),
    alerts: z.array(
      z.looseObject({
        ...alertFields(),
        values: z.record(z.string(), z.json()).nullable().optional(),
        valueString: z.string().optional(),
        silenceURL: z.string().optional(),
        dashboardURL: z.string().optional(),
        panelURL: z.string().optional(),
        ruleUID: z.string().optional(),
      }),
    ),
  }),
);
export type GrafanaPayload = z.infer<typeof GrafanaPayloadSchema>;

type AnyAlert = AlertmanagerPayload['alerts'][number] & Partial<GrafanaPayload['alerts'][number]>;
type AnyPayload = AlertmanagerPayload | GrafanaPayload;

/** One CloudEvent per alert of an Alertmanager payload, in payload order. */
export function alertmanagerToEvents(payload: AlertmanagerPayload): CloudEvent[] {
  return payload.alerts.map((alert) => toEvent('alertmanager', payload, alert, {}));
}

/**
 * One CloudEvent per alert of a Grafana payload, in payload order. Besides the common fields, `data`
 * carries the notification's `orgId`, `title`, `state` and `message` and the alert's `ruleUID` (or the
 * `__alert_rule_uid__` label), `values`, `valueString`, `silenceURL`, `dashboardURL` and `panelURL`.
 */
export function grafanaToEvents(payload: GrafanaPayload): CloudEvent[] {
  return payload.alerts.map((alert: AnyAlert) =>
    toEvent('grafana', payload, alert, {
      orgId: payload.orgId,
      title: payload.title,
      state: payload.state,
      message: payload.message,
      ruleUID: alert.ruleUID ?? alert.labels.__alert_rule_uid__,
      values: alert.values ?? undefined,
      valueString: alert.valueString,
      silenceURL: alert.silenceURL,
      dashboardURL: alert.dashboardURL,
      panelURL: alert.panelURL,
    }),
  );
}

export type AlertWebhookResult =
  | {
      ok: true;
      events: CloudEvent[];
      /** Alerts the tool left out of this notification (`truncatedAlerts`; 0 when none). */
      truncatedAlerts: number;
    }
  | { ok: false; code: 'INVALID_JSON' | 'INVALID_INPUT'; message: string };

/**
 * Decodes and validates an alert webhook body (Buffer, text or parsed JSON) and converts it to events.
 * Never throws; `__proto__`-style keys are dropped.
 *
 * @example
 * const result = parseAlertWebhook('alertmanager', request.body);
 * if (!result.ok) return badRequest(result.message);
 * for (const event of result.events) evaluateEvent(rules, event);
 */
export function parseAlertWebhook(tool: AlertTool, body: unknown): AlertWebhookResult {
  const decoded = decodeJsonInput(body);
  if (!decoded.ok) return { ok: false, code: 'INVALID_JSON', message: `body is ${decoded.message}` };
  if (tool === 'alertmanager') {
    const parsed = AlertmanagerPayloadSchema.safeParse(decoded.value);
    return parsed.success
      ? {
          ok: true,
          events: alertmanagerToEvents(parsed.data),
          truncatedAlerts: parsed.data.truncatedAlerts ?? 0,
        }
      : { ok: false, code: 'INVALID_INPUT', message: describe('Alertmanager', parsed.error) };
  }
  const parsed = GrafanaPayloadSchema.safeParse(decoded.value);
  return parsed.success
    ? { ok: true, events: grafanaToEvents(parsed.data), truncatedAlerts: parsed.data.truncatedAlerts ?? 0 }
    : { ok: false, code: 'INVALID_INPUT', message: describe('Grafana', parsed.error) };
}

function toEvent(
  tool: AlertTool,
  payload: AnyPayload,
  alert: AnyAlert,
  extra: Record<string, JsonValue | undefined>,
): CloudEvent {
  const fingerprint = alert.fingerprint ?? fingerprintOf(alert.labels);
  const annotations = alert.annotations ?? {};
  const alertname = alert.labels.alertname;
  const time = alert.status === 'resolved' ? (alert.endsAt ?? alert.startsAt) : alert.startsAt;
  const data = compact({
    status: alert.status,
    labels: alert.labels,
    annotations,
    startsAt: alert.startsAt,
    endsAt: alert.endsAt,
    generatorURL: alert.generatorURL,
    fingerprint,
    ...extra,
    receiver: payload.receiver,
    groupKey: payload.groupKey,
    externalURL: payload.externalURL,
  });
  return {
    specversion: '1.0',
    id: `${fingerprint}:${alert.startsAt}:${alert.status}`,
    source: ALERT_SOURCES[tool],
    type: ALERT_EVENT_TYPES[tool][alert.status],
    ...(alertname ? { subject: alertname } : {}),
    time,
    datacontenttype: 'application/json',
    data: data as JsonValue,
  };
}

/** Like Alertmanager's own fingerprint: a hash of the sorted label set (used only when none was sent). */
function fingerprintOf(labels: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

function describe(tool: string, error: z.ZodError): string {
  const parts = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? formatPath(issue.path) : '(body)'}: ${issue.message}`);
  return `not a ${tool} webhook payload: ${parts.join('; ')}`;
}
