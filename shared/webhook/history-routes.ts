import { AutopilotError } from '../errors.js';
import { FLEET_HISTORY_SCAN, readHistory } from '../history/index.js';
import { parseInstant } from '../instant.js';
import { parseDuration } from '../state/duration.js';
import { stateStoreFor } from '../state/select.js';
import { parseJobGroupIdParam } from './request.js';
import type { RouteContext, RouteResult, WebhookRoute } from './router.js';

/** `since` (a duration back from now, `90m`, `24h`, `3d`, or an RFC 3339 instant) and `limit` of a history read. */
function historyQuery(ctx: RouteContext): { since?: number; limit?: number } {
  const { since, limit } = ctx.request.query;
  const out: { since?: number; limit?: number } = {};
  if (since !== undefined) {
    const ms = parseDuration(since);
    const instant = parseInstant(since);
    if (ms === undefined && !Number.isFinite(instant)) {
      throw new AutopilotError('INVALID_INPUT', {
        message: 'since: expected a duration such as 90m, 24h or 3d, or an RFC 3339 instant with an offset.',
        field: 'since',
      });
    }
    out.since = ms !== undefined ? Date.now() - ms : instant;
  }
  if (limit !== undefined) {
    if (!/^[1-9]\d{0,3}$/.test(limit) || Number(limit) > 1_000) {
      throw new AutopilotError('INVALID_INPUT', {
        message: 'limit: expected a whole number from 1 to 1000.',
        field: 'limit',
      });
    }
    out.limit = Number(limit);
  }
  return out;
}

async function answer(ctx: RouteContext, jobGroupId: string | undefined): Promise<RouteResult> {
  const store = stateStoreFor(ctx.runtime.env, ctx.invocation);
  const { records, truncated } = await readHistory(store, {
    ...historyQuery(ctx),
    ...(jobGroupId && { jobGroupId }),
  });
  ctx.audit.outcome = 'ok';
  return {
    status: 200,
    body: {
      ...(jobGroupId && { jobGroupId }),
      records,
      // Said, not hidden: name a group (?jobGroupId=) for its newest records, however many there are.
      ...(truncated && {
        truncated: true,
        note: `More than ${FLEET_HISTORY_SCAN} history records are stored: these are the newest of the first ${FLEET_HISTORY_SCAN} in job group order. Ask for one group (jobGroupId) for its newest.`,
      }),
    },
  };
}

/** `GET /v1/job-groups/{id}/history`: what the product did to one group, newest first (30 days kept). */
export const groupHistoryRoute: WebhookRoute = {
  method: 'GET',
  path: '/v1/job-groups/:jobGroupId/history',
  action: 'history',
  access: 'authenticated',
  body: 'none',
  query: ['since', 'limit'],
  async handle(ctx) {
    const jobGroupId = parseJobGroupIdParam(ctx.params.jobGroupId);
    ctx.audit.jobGroupIds.push(jobGroupId);
    return answer(ctx, jobGroupId);
  },
};

/** `GET /v1/history[?jobGroupId=ID]`: the same over every group. */
export const historyRoute: WebhookRoute = {
  method: 'GET',
  path: '/v1/history',
  action: 'history',
  access: 'authenticated',
  body: 'none',
  query: ['since', 'limit', 'jobGroupId'],
  async handle(ctx) {
    const id = ctx.request.query.jobGroupId;
    return answer(ctx, id === undefined ? undefined : parseJobGroupIdParam(id));
  },
};
