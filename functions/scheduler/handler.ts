import { fanoutFromEnv } from '../../shared/fanout/from-env.js';
import { decodeTimerEvent } from '../../shared/fc/timer.js';
import { createFcHandler } from '../../shared/handler.js';
import { runScheduler, type SchedulerDeps } from '../../shared/scheduler/index.js';

/**
 * The scheduler function (FC timer trigger, asynchronous): the payload is a timer action
 * (`{"action": "stop", "jobGroupIds": […]}`, `{"changes": […]}`) or `{"action": "reconcile"}`. Errors
 * fail the invocation so FC's async retry and failure destination see them.
 * Tests build their own with an injected clock or fan-out.
 */
export function createSchedulerHandler(deps: SchedulerDeps = {}) {
  return createFcHandler({
    decode: decodeTimerEvent,
    errors: 'async',
    run: (tick, invocation) => runScheduler(tick, invocation, deps),
  });
}

/** The deployed handler: large reconciles fan out as `FANOUT_INVOKER` says (default: work inline). */
export const handler = createSchedulerHandler({ fanoutFor: fanoutFromEnv });
