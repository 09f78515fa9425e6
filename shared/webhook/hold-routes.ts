import { AutopilotError } from '../errors.js';
import { buildHold, listHolds, parseHoldId, releaseHold, saveHold, withTimeLeft } from '../holds/index.js';
import { stateStoreFor } from '../state/select.js';
import { applyChange, outcomeOf, toSuccess, webhookSource } from './changes.js';
import { parseJobGroupIdParam } from './request.js';
import type { RouteContext, WebhookRoute } from './router.js';

const storeOf = (ctx: RouteContext) => stateStoreFor(ctx.runtime.env, ctx.invocation);

/**
 * `POST /v1/job-groups/{id}/holds`: a pin (applied now, then automation keeps off its fields), a pause
 * (no automated write) or a skip (one occurrence of one window), each ending on its own. 201 with the
 * hold and, for a pin, what was applied. `?dryRun=true` validates and plans, stores and sends nothing.
 */
export const createHoldRoute: WebhookRoute = {
  method: 'POST',
  path: '/v1/job-groups/:jobGroupId/holds',
  action: 'hold',
  access: 'authenticated',
  body: 'json',
  async handle(ctx) {
    const jobGroupId = parseJobGroupIdParam(ctx.params.jobGroupId);
    ctx.audit.jobGroupIds.push(jobGroupId);
    const hold = buildHold(jobGroupId, ctx.body, ctx.runtime.config, ctx.caller?.who ?? 'unknown');
    // Stored before the pin's set is sent: a store failure then sends nothing, and a tick can never
    // revert a pin whose hold was not saved.
    if (!ctx.dryRun) await saveHold(storeOf(ctx), hold);
    let applied: Awaited<ReturnType<typeof applyChange>> | undefined;
    try {
      applied = hold.set
        ? await applyChange(
            { action: 'modify', jobGroupId, ...hold.set },
            {
              deps: ctx.deps,
              dryRun: ctx.dryRun,
              deadline: ctx.invocation.deadline,
              audit: ctx.audit,
              source: webhookSource(ctx, 'POST /v1/job-groups/:jobGroupId/holds'),
            },
          )
        : undefined;
    } catch (error) {
      // The pin's set was not applied: a hold without it must not stand.
      if (!ctx.dryRun) await releaseHold(storeOf(ctx), hold.id).catch(() => undefined);
      throw error;
    }
    ctx.audit.outcome = ctx.dryRun ? 'planned' : applied ? outcomeOf(applied) : 'ok';
    return {
      status: ctx.dryRun ? 200 : 201,
      body: { dryRun: ctx.dryRun, hold: withTimeLeft(hold), applied: applied ? toSuccess(applied) : null },
    };
  },
};

/** `GET /v1/holds[?jobGroupId=ID]`: the holds in force, with time left. */
export const listHoldsRoute: WebhookRoute = {
  method: 'GET',
  path: '/v1/holds',
  action: 'holds',
  access: 'authenticated',
  body: 'none',
  query: ['jobGroupId'],
  async handle(ctx) {
    const id = ctx.request.query.jobGroupId;
    const jobGroupId = id === undefined ? undefined : parseJobGroupIdParam(id);
    const holds = await listHolds(storeOf(ctx), jobGroupId);
    ctx.audit.outcome = 'ok';
    return { status: 200, body: { holds: holds.map((hold) => withTimeLeft(hold)) } };
  },
};

/**
 * `DELETE /v1/holds/{holdId}`: releases a hold. The group's schedule record is forgotten, so the next
 * tick applies its current desired state, with or without `enforce`.
 */
export const releaseHoldRoute: WebhookRoute = {
  method: 'DELETE',
  path: '/v1/holds/:holdId',
  action: 'release',
  access: 'authenticated',
  body: 'none',
  async handle(ctx) {
    const { jobGroupId } = parseHoldId(ctx.params.holdId);
    ctx.audit.jobGroupIds.push(jobGroupId);
    if (ctx.dryRun) {
      const held = (await listHolds(storeOf(ctx), jobGroupId)).find((hold) => hold.id === ctx.params.holdId);
      if (!held) throw new AutopilotError('HOLD_NOT_FOUND');
      return { status: 200, body: { dryRun: true, released: withTimeLeft(held) } };
    }
    const released = await releaseHold(storeOf(ctx), ctx.params.holdId as string);
    if (!released) throw new AutopilotError('HOLD_NOT_FOUND');
    ctx.audit.outcome = 'ok';
    return {
      status: 200,
      body: {
        dryRun: false,
        released: { ...released, secondsLeft: 0 },
        next: "the group's current desired state is applied at the next scheduler tick",
      },
    };
  },
};
