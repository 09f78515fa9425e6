/**
 * The webhook function's core: a route table (extend it with `registerRoutes` or pass `routes`),
 * Standard Webhooks / bearer authentication with a replay cache, the single-group and batch use cases,
 * and one audit line per mutating request. Only `shared/fc/http.ts` knows the FC event shape.
 */
export { createWebhookApp, type WebhookApp, type WebhookAppOptions } from './app.js';
export { type AuditChange, type AuditFacts, writeAudit } from './audit.js';
export {
  type AuthConfig,
  type Authenticator,
  type AuthResult,
  type Caller,
  createAuthenticator,
  WEBHOOK_TOLERANCE_SECONDS,
} from './auth.js';
export {
  type ApplyContext,
  applyChange,
  applyChanges,
  BATCH_CONCURRENCY,
  type BatchEntry,
  type ChangeSuccess,
  toSuccess,
} from './changes.js';
export { isJsonContentType, parseJobGroupIdParam, parseQuery, readJsonBody } from './request.js';
export {
  createRouter,
  type HttpMethod,
  type RouteContext,
  type RouteMatch,
  type RouteResult,
  type Router,
  type WebhookRoute,
} from './router.js';
export {
  batchRoute,
  healthRoute,
  modifyRoute,
  registerRoutes,
  scaleRoute,
  startRoute,
  stopRoute,
  WEBHOOK_ROUTES,
  webhookRoutes,
} from './routes.js';
