import { AutopilotError, toAutopilotError } from '../errors.js';
import {
  buildHold,
  type Hold,
  holdEffect,
  listHolds,
  parseHoldId,
  recordHold,
  releaseHold,
  saveHold,
  withoutPinned,
  withTimeLeft,
} from '../holds/index.js';
import { desiredAt, sameTarget } from '../schedule/index.js';
import { stateStoreFor } from '../state/select.js';
import { effectiveDesired } from '../status/index.js';
import { applyChange, outcomeOf, toSuccess, webhookSource } from './changes.js';
import { parseJobGroupIdParam } from './request.js';
import type { RouteContext, WebhookRoute } from './router.js';

/** The store of this request's dependencies: its history records also reach the request's digest. */
const storeOf = (ctx: RouteContext) => ctx.deps().store ?? stateStoreFor(ctx.runtime.env, ctx.invocation);

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
    if (!ctx.dryRun) {
      await recordHold(
        storeOf(ctx),
        'created',
        hold,
        webhookSource(ctx, 'POST /v1/job-groups/:jobGroupId/holds'),
        ctx.invocation.requestId,
      );
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
 * The group's desired state once `released` no longer counts, applied at once (the tick would otherwise
 * wait for its next run): the schedule's state now with the holds still in force. Nothing is sent while
 * another pause holds the group, or when nothing decides any field (no schedule, no other pin).
 */
async function applyAfterRelease(
  ctx: Parameters<WebhookRoute['handle']>[0],
  released: Hold,
  remaining: readonly Hold[],
) {
  const now = new Date();
  const zone = ctx.runtime.config.timezone;
  const schedule = ctx.runtime.config.schedules.find((s) => s.jobGroupIds.includes(released.jobGroupId));
  const before = effectiveDesired(schedule, [...remaining, released], now, zone);
  const desired = effectiveDesired(schedule, remaining, now, zone);
  if (desired.paused) return { applied: null, why: 'another pause holds the group; nothing was sent' };
  // A skip of a later occurrence, or a pin of what the schedule wants anyway: nothing changes now.
  if (before.paused === desired.paused && sameTarget(before.target, desired.target))
    return { applied: null, why: 'releasing it changes nothing automation wants now; nothing was sent' };
  // What automation sends, as a tick would: the schedule's state, without the fields other pins hold
  // (those keep whatever value they have, a person's change included).
  const effect = holdEffect(remaining, now.getTime());
  const own = schedule ? desiredAt(schedule, now, zone, effect.skipped?.(schedule.name)).target : {};
  const target = withoutPinned(own, effect);
  if (Object.keys(target).length === 0)
    return { applied: null, why: 'no schedule decides a field other holds leave free; nothing was sent' };
  const decidedBy = Object.fromEntries(
    Object.entries(desired.decidedBy).filter(([, decider]) => decider.by === 'schedule'),
  );
  const applied = await applyChange(
    { action: 'modify', jobGroupId: released.jobGroupId, ...target },
    {
      deps: ctx.deps,
      dryRun: ctx.dryRun,
      deadline: ctx.invocation.deadline,
      audit: ctx.audit,
      source: webhookSource(ctx, 'DELETE /v1/holds/:holdId'),
    },
  );
  return { applied: toSuccess(applied), decidedBy, outcome: outcomeOf(applied) };
}

/**
 * `DELETE /v1/holds/{holdId}`: releases a hold and applies the group's current desired state at once
 * (the schedule's, with the holds still in force), with or without `enforce`. The schedule record is
 * forgotten too, so a failure to apply now is made good by the next tick.
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
    const store = storeOf(ctx);
    const holds = await listHolds(store, jobGroupId);
    const held = holds.find((hold) => hold.id === ctx.params.holdId);
    if (!held) throw new AutopilotError('HOLD_NOT_FOUND');
    const remaining = holds.filter((hold) => hold.id !== held.id);
    if (ctx.dryRun) {
      const after = await applyAfterRelease(ctx, held, remaining);
      ctx.audit.outcome = 'planned';
      return { status: 200, body: { dryRun: true, released: withTimeLeft(held), ...after } };
    }
    const released = await releaseHold(store, held.id);
    if (!released) throw new AutopilotError('HOLD_NOT_FOUND');
    await recordHold(
      store,
      'released',
      released,
      webhookSource(ctx, 'DELETE /v1/holds/:holdId'),
      ctx.invocation.requestId,
    );
    const shown = { ...released, secondsLeft: 0 };
    try {
      const { outcome, ...after } = await applyAfterRelease(ctx, released, remaining);
      ctx.audit.outcome = outcome ?? 'ok';
      return { status: 200, body: { dryRun: false, released: shown, ...after } };
    } catch (thrown) {
      // The release stands (it is in the store); applying now failed: say both, with the error's status.
      const error = toAutopilotError(thrown);
      ctx.audit.outcome = 'failed';
      ctx.audit.failures = [{ jobGroupId: released.jobGroupId, code: error.code }];
      // 207: the release happened (a retry would find no hold), the write did not; both are said.
      return {
        status: 207,
        body: {
          dryRun: false,
          released: shown,
          applied: null,
          error: error.toPublic(),
          next: "The hold is released; applying the group's desired state failed, and the next scheduler tick applies it.",
        },
      };
    }
  },
};
