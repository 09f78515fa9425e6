export {
  ALERT_EVENT_TYPES,
  ALERT_SOURCES,
  type AlertmanagerPayload,
  AlertmanagerPayloadSchema,
  type AlertTool,
  type AlertWebhookResult,
  alertmanagerToEvents,
  type GrafanaPayload,
  GrafanaPayloadSchema,
  grafanaToEvents,
  parseAlertWebhook,
} from './alerts.js';
export {
  COMMAND_EVENT_TYPE,
  COMMAND_RULE_NAME,
  type EvaluateResult,
  evaluateEvent,
  type RuleOutcome,
} from './evaluate.js';
export { matchRule, type ResolveResult, RULE_ERROR_CODES, type RuleErrorCode, resolveThen } from './match.js';
export {
  EventPathSchema,
  type FromRef,
  type Match,
  MatchSchema,
  type Operator,
  type Rule,
  RuleNameSchema,
  RuleSchema,
  type Then,
  ThenSchema,
  validateRules,
} from './schema.js';
