/**
 * CityVisual 2018-10-30 RPC emulator: a real HTTP server for tests and `npm start`. It verifies
 * signature v1 exactly, applies the gateway's common checks, models ModifyJobGroup and
 * DescribeJobGroups (plus Start/StopJobGroup, DescribeAlgoLibs, DescribeResourceProfiles) on an
 * in-memory seed, and injects throttling, 5xx, resets and hangs on demand. It is an independent oracle:
 * nothing here imports the product's `shared/` contract.
 */
export { API_VERSION, KNOWN_ACTIONS } from './actions.js';
export { DEMO_CREDENTIAL, type EmulatorCredential, EmulatorCredentialSchema } from './credentials.js';
export type { DescribeShape } from './describe-job-groups.js';
export { IMPLEMENTED_ACTIONS } from './dispatch.js';
export { type EmulatorErrorCode, ERROR_TABLE } from './errors.js';
export { type FaultConfig, FaultConfigSchema, mulberry32 } from './faults.js';
export { parseTimestamp } from './gateway.js';
export { isValidJobGroupName } from './job-group-name.js';
export { PARAM_VALUES } from './modify-job-group.js';
export {
  demoSeed,
  type EmulatorSeed,
  EmulatorSeedSchema,
  type JobGroupState,
  JobGroupStateSchema,
  makeFleetSeed,
  parseSeed,
} from './seed.js';
export {
  type Emulator,
  type EmulatorOptions,
  type EmulatorStats,
  type RecordedCall,
  startEmulator,
} from './server.js';
export { canonicalize, percentEncode, sign, stringToSign, verifySignature } from './signature.js';
