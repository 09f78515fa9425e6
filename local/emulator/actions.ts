/** API version the emulator serves. */
export const API_VERSION = '2018-10-30';

/**
 * Every CityVisual 2018-10-30 action named by the 2019 doc mirror, the live overview or the TS SDK
 * (reference §4.3). Anything else is `InvalidAction.NotFound`.
 */
export const KNOWN_ACTIONS = [
  'CreateInstance',
  'DescribeInstances',
  'ModifyInstance',
  'DeleteInstance',
  'CreateWorkGroup',
  'DescribeWorkGroups',
  'ModifyWorkGroup',
  'DeleteWorkGroup',
  'DescribeProtocols',
  'CreateCamera',
  'DescribeCameras',
  'ModifyCamera',
  'DeleteCamera',
  'BatchModifyCameraStatus',
  'GetStreamsForCameras',
  'ListStreamsForCameras',
  'GetCameraConfForCamera',
  'PutCameraConfForCamera',
  'GetPlayUrlForCamera',
  'CreateAlgoLib',
  'DescribeAlgoLibs',
  'ModifyAlgoLib',
  'DeleteAlgoLib',
  'CreateCapability',
  'DescribeCapabilities',
  'ModifyCapability',
  'DeleteCapability',
  'CreateResourceProfile',
  'DescribeResourceProfiles',
  'ModifyResourceProfile',
  'DeleteResourceProfile',
  'CreateJobGroup',
  'DescribeJobGroups',
  'ModifyJobGroup',
  'DeleteJobGroup',
  'StartJobGroup',
  'StopJobGroup',
  'ListComputeJobLogs',
  'GetComputeJobLog',
  'AttachStream',
  'DetachStream',
  'DescribeStreams',
  'SearchImages',
  'DescribeRegions',
  'ListParkingResults',
  'ListSafetyHelmetResults',
  'ListVehicleEntryResults',
] as const;
export type KnownAction = (typeof KNOWN_ACTIONS)[number];

const KNOWN = new Set<string>(KNOWN_ACTIONS);

/** Whether `action` is a real CityVisual action (implemented or not). */
export function isKnownAction(action: string): action is KnownAction {
  return KNOWN.has(action);
}

/**
 * Common parameters: checked by the gateway stage, allowed on every action. `RegionId` is listed per
 * operation by CityVisual, but every job-group operation takes it.
 */
export const COMMON_PARAMS: ReadonlySet<string> = new Set([
  'Action',
  'Version',
  'Format',
  'AccessKeyId',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
  'Signature',
  'SecurityToken',
  'ResourceOwnerAccount',
  'RegionId',
]);

/** Parameters never kept in {@link RecordedCall}s: they identify or authenticate the caller. */
export const UNRECORDED_PARAMS: ReadonlySet<string> = new Set([
  'Signature',
  'AccessKeyId',
  'SecurityToken',
  'SignatureNonce',
]);
