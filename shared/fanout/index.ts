/**
 * Fleet fan-out on FC itself: the scheduler hands shards of a large reconcile to FC as asynchronous
 * invocations of itself. `Invoker` is the seam; `fc3` (FC 3.0 InvokeFunction, ACS3 signed) and `fc2`
 * (`@alicloud/fc2`, FC 2.0 API) implement it, selected by `FANOUT_INVOKER`.
 */
export {
  ACS3_ALGORITHM,
  type Acs3Credentials,
  type Acs3Request,
  acsDate,
  canonicalRequest,
  percentEncode,
  signAcs3,
} from './acs3.js';
export { createInvokerFanout, type DispatchOptions, type FanoutFailureDetails } from './dispatch.js';
export { createFc2Invoker, type Fc2InvokerConfig, translateFc2Error } from './fc2.js';
export { createFc3Invoker, FC3_API_VERSION, type Fc3InvokerConfig } from './fc3.js';
export { type FanoutFactory, fanoutFromEnv, invokerFromEnv } from './from-env.js';
export { type InvokeReceipt, type Invoker, invokeHttpError, invokeNetworkError } from './invoker.js';
