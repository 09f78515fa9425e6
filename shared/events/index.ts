/**
 * The events use case: EventBridge deliveries and alert webhooks → rules → job-group changes, with one
 * outcome per event (`EVENT_OUTCOMES`). Only `shared/fc/eventbridge.ts` knows the FC event shape; the
 * webhook router mounts {@link handleAlertWebhook} for Alertmanager and Grafana.
 */
export {
  type AlertAuditFacts,
  type AlertWebhookBody,
  type AlertWebhookErrorBody,
  type AlertWebhookOptions,
  type AlertWebhookResponse,
  handleAlertWebhook,
} from './alerts.js';
export { type DeliveryOptions, handleEventDelivery } from './delivery.js';
export {
  type ChangeOutcome,
  type ChangeReport,
  type ClassifiedFailure,
  classifyFailure,
  countOutcomes,
  EVENT_OUTCOMES,
  type EventOutcome,
  type EventReport,
  type EventsSummary,
  type OutcomeCounts,
  type RetryReason,
  type RuleReport,
  worseOutcome,
} from './outcomes.js';
export {
  type DeliveryEntry,
  deliveryEntries,
  EVENTS_CONCURRENCY,
  lazyDeps,
  type ProcessOptions,
  processEvents,
} from './process.js';
export { eventWho, logEventReports, logSummary, SUMMARY_LOG_MAX_EVENTS } from './report.js';
