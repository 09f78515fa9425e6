import { AutopilotError } from '../errors.js';
import { stateStoreFor } from '../state/select.js';
import { groupStatus } from '../status/index.js';
import { parseJobGroupIdParam } from './request.js';
import type { RouteContext, RouteResult, WebhookRoute } from './router.js';

async function answer(ctx: RouteContext): Promise<RouteResult> {
  const jobGroupId = parseJobGroupIdParam(ctx.params.jobGroupId);
  ctx.audit.jobGroupIds.push(jobGroupId);
  const instanceId = ctx.runtime.env.CITYVISUAL_INSTANCE_ID;
  const status = await groupStatus({
    jobGroupId,
    config: ctx.runtime.config,
    store: stateStoreFor(ctx.runtime.env, ctx.invocation),
    ...(instanceId !== undefined && { live: { client: ctx.deps().client, instanceId } }),
  });
  if (instanceId !== undefined && status.live === null) {
    throw new AutopilotError('InvalidJobGroupId.NotFound', {
      message: `Job group ${jobGroupId} does not exist in CityVisual instance ${instanceId}.`,
      field: 'jobGroupId',
    });
  }
  ctx.audit.outcome = 'ok';
  return { status: 200, body: status };
}

const statusRoute = (path: string): WebhookRoute => ({
  method: 'GET',
  path,
  action: 'status',
  access: 'authenticated',
  body: 'none',
  handle: answer,
});

/**
 * `GET /v1/job-groups/{id}/status` (and `GET /v1/job-groups/{id}`): the live state (with live reads), the
 * desired state now and what decided each field, holds in force with time left, the next three changes
 * (holds applied), drift, and the last five history records.
 */
export const groupStatusRoute = statusRoute('/v1/job-groups/:jobGroupId/status');
export const groupReadRoute = statusRoute('/v1/job-groups/:jobGroupId');
