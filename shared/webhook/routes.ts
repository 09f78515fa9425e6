import { listHolds, withTimeLeft } from '../holds/index.js';
import {
  BatchSchema,
  type Change,
  EmptyBodySchema,
  ModifyBodySchema,
  ScaleBodySchema,
} from '../intent/index.js';
import { stateStoreFor } from '../state/select.js';
import { parseOrThrow } from '../validation.js';
import { alertmanagerRoute, grafanaPutRoute, grafanaRoute } from './alert-routes.js';
import {
  applyChange,
  applyChanges,
  batchAnswer,
  outcomeOf,
  requireSomeField,
  toSuccess,
  webhookSource,
} from './changes.js';
import { groupHistoryRoute, historyRoute } from './history-routes.js';
import { createHoldRoute, listHoldsRoute, releaseHoldRoute } from './hold-routes.js';
import { parseJobGroupIdParam } from './request.js';
import type { RouteContext, RouteResult, WebhookRoute } from './router.js';
import { groupReadRoute, groupStatusRoute } from './status-routes.js';

/** A route that changes one group: path id validated first (400, nothing sent), then the body. */
function singleGroupRoute(
  method: WebhookRoute['method'],
  path: string,
  action: string,
  toChange: (jobGroupId: string, body: unknown) => Change,
): WebhookRoute {
  return {
    method,
    path,
    action,
    access: 'authenticated',
    body: 'json',
    async handle(ctx: RouteContext): Promise<RouteResult> {
      const jobGroupId = parseJobGroupIdParam(ctx.params.jobGroupId);
      ctx.audit.jobGroupIds.push(jobGroupId);
      const change = toChange(jobGroupId, ctx.body);
      // Informational, read beside the change: it must never turn a sent change into an error.
      const holdsRead = listHolds(stateStoreFor(ctx.runtime.env, ctx.invocation), jobGroupId).catch(
        () => [] as Awaited<ReturnType<typeof listHolds>>,
      );
      const result = await applyChange(change, {
        deps: ctx.deps,
        dryRun: ctx.dryRun,
        deadline: ctx.invocation.deadline,
        audit: ctx.audit,
        source: webhookSource(ctx, `${method} ${path}`),
      });
      ctx.audit.outcome = outcomeOf(result);
      // A person acting by hand wins over every hold, and is told which are in force.
      const holds = await holdsRead;
      return {
        status: 200,
        body: {
          ...toSuccess(result),
          ...(holds.length > 0 && {
            holds: holds.map((hold) => withTimeLeft(hold)),
            note: 'Holds are in force on this group: they keep automation off, never a direct change like this one.',
          }),
        },
      };
    },
  };
}

/** `GET /healthz`: no auth, no config, no upstream call. */
export const healthRoute: WebhookRoute = {
  method: 'GET',
  path: '/healthz',
  action: 'health',
  access: 'public',
  body: 'none',
  handle: async () => ({ status: 200, body: { status: 'ok' } }),
};

export const scaleRoute = singleGroupRoute(
  'POST',
  '/v1/job-groups/:jobGroupId/scale',
  'scale',
  (id, body) => ({
    action: 'scale',
    jobGroupId: id,
    ...parseOrThrow(ScaleBodySchema, body),
  }),
);

export const stopRoute = singleGroupRoute('POST', '/v1/job-groups/:jobGroupId/stop', 'stop', (id, body) => {
  parseOrThrow(EmptyBodySchema, body);
  return { action: 'stop', jobGroupId: id };
});

export const startRoute = singleGroupRoute(
  'POST',
  '/v1/job-groups/:jobGroupId/start',
  'start',
  (id, body) => {
    parseOrThrow(EmptyBodySchema, body);
    return { action: 'start', jobGroupId: id };
  },
);

export const modifyRoute = singleGroupRoute('PATCH', '/v1/job-groups/:jobGroupId', 'modify', (id, body) => {
  const fields = parseOrThrow(ModifyBodySchema, body);
  requireSomeField(fields);
  return { action: 'modify', jobGroupId: id, ...fields };
});

/**
 * `POST /v1/batch`: one result per change, in order; a failing change never hides the others. 207 when
 * every failure is permanent; 503 (429 when throttled) with `Retry-After` when some change failed
 * retryably, so the sender resends the batch (changes already applied are then no-ops with live reads,
 * and absolute targets without them).
 */
export const batchRoute: WebhookRoute = {
  method: 'POST',
  path: '/v1/batch',
  action: 'batch',
  access: 'authenticated',
  body: 'json',
  async handle(ctx) {
    const { changes } = parseOrThrow(BatchSchema, ctx.body);
    const results = await applyChanges(changes, {
      deps: ctx.deps,
      dryRun: ctx.dryRun,
      deadline: ctx.invocation.deadline,
      audit: ctx.audit,
      source: webhookSource(ctx, 'POST /v1/batch'),
    });
    const failed = results.filter((entry) => 'error' in entry).length;
    const answer = batchAnswer(results);
    return {
      status: answer.status,
      body: {
        dryRun: ctx.dryRun,
        succeeded: results.length - failed,
        failed,
        retryable: answer.retryable,
        results,
      },
      ...(answer.retryAfterSeconds !== undefined && {
        headers: { 'Retry-After': String(answer.retryAfterSeconds) },
      }),
    };
  },
};

/** The webhook API of issue 3, in matching order. Extend with {@link registerRoutes}. */
export const WEBHOOK_ROUTES: readonly WebhookRoute[] = [
  healthRoute,
  scaleRoute,
  stopRoute,
  startRoute,
  modifyRoute,
  batchRoute,
  alertmanagerRoute,
  grafanaRoute,
  grafanaPutRoute,
  historyRoute,
  groupHistoryRoute,
  createHoldRoute,
  listHoldsRoute,
  releaseHoldRoute,
  groupStatusRoute,
  groupReadRoute,
];

const registered: WebhookRoute[] = [];
let sealed = false;

/**
 * Adds routes to the table the webhook function serves (e.g. `/v1/hooks/alertmanager`); call at module
 * load, before the first request compiles the table. A duplicate method + path fails at compile time.
 */
export function registerRoutes(...routes: WebhookRoute[]): void {
  if (sealed)
    throw new Error('registerRoutes: the webhook route table is already compiled; register at module load');
  registered.push(...routes);
}

/** The built-in routes plus every registered one; seals the registry. */
export function webhookRoutes(): readonly WebhookRoute[] {
  sealed = true;
  return [...WEBHOOK_ROUTES, ...registered];
}
