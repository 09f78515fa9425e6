import { resolveCredentials } from '../cityvisual/credentials.js';
import { AutopilotError } from '../errors.js';
import type { Invocation } from '../fc/context.js';
import type { Runtime } from '../runtime.js';
import type { Fanout } from '../scheduler/fanout.js';
import { createInvokerFanout } from './dispatch.js';
import { createFc2Invoker } from './fc2.js';
import { createFc3Invoker } from './fc3.js';
import type { Invoker } from './invoker.js';

/** Builds the fan-out of one invocation (its credentials, its deadline); undefined: work inline. */
export type FanoutFactory = (invocation: Invocation, runtime: Runtime) => Fanout | undefined;

/**
 * The invoker `FANOUT_INVOKER` selects, aimed at `FANOUT_FUNCTION_NAME` (default: this function) with
 * this invocation's credentials; undefined for `none`. Account id and region default to the FC
 * context's. Throws CONFIG_INVALID when a needed value is missing.
 */
export function invokerFromEnv(invocation: Invocation, runtime: Runtime): Invoker | undefined {
  const { env } = runtime;
  if (env.FANOUT_INVOKER === 'none') return undefined;
  const accountId = env.FANOUT_ACCOUNT_ID ?? invocation.accountId;
  const region = env.FANOUT_REGION ?? invocation.region;
  const functionName = env.FANOUT_FUNCTION_NAME ?? invocation.functionName;
  if (!accountId || !region) {
    throw new AutopilotError('CONFIG_INVALID', {
      message: `FANOUT_INVOKER=${env.FANOUT_INVOKER} needs the account id and region: run on FC or set FANOUT_ACCOUNT_ID and FANOUT_REGION.`,
    });
  }
  const common = {
    accountId,
    region,
    functionName,
    credentials: resolveCredentials(invocation.credentials),
    timeoutMs: env.FANOUT_TIMEOUT_MS,
    ...(env.FANOUT_QUALIFIER !== undefined && { qualifier: env.FANOUT_QUALIFIER }),
    ...(env.FANOUT_ENDPOINT !== undefined && { endpoint: env.FANOUT_ENDPOINT }),
  };
  if (env.FANOUT_INVOKER === 'fc3') return createFc3Invoker(common);
  // parseEnv already refused fc2 without a service name.
  return createFc2Invoker({ ...common, serviceName: env.FANOUT_SERVICE_NAME ?? '' });
}

/**
 * The production {@link FanoutFactory}: {@link invokerFromEnv} behind {@link createInvokerFanout}. The
 * invoker is built when a reconcile actually fans out, so a tick that works inline needs no FC settings
 * (and a missing one fails only the fan-out, as CONFIG_INVALID in the summary).
 */
export const fanoutFromEnv: FanoutFactory = (invocation, runtime) => {
  if (runtime.env.FANOUT_INVOKER === 'none') return undefined;
  return (shards, tick) => {
    const invoker = invokerFromEnv(invocation, runtime) as Invoker;
    return createInvokerFanout(invoker, {
      deadline: invocation.deadline,
      taskIds: runtime.env.FANOUT_TASK_IDS === 'on',
    })(shards, tick);
  };
};
