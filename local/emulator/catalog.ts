import { EmulatorApiError } from './errors.js';
import { pageOf, paging, rejectNullishLiterals, rejectUnknownParams, requireParams } from './params.js';
import type { EmulatorState } from './state.js';

function checkInstance(
  params: Record<string, string>,
  state: EmulatorState,
  allowed: ReadonlySet<string>,
): void {
  rejectNullishLiterals(params);
  rejectUnknownParams(params, (name) => allowed.has(name));
  requireParams(params, ['InstanceId']);
  if (!state.hasInstance(params.InstanceId!)) throw new EmulatorApiError('InvalidInstanceId.NotFound');
}

const ALGO_LIB_PARAMS = new Set([
  'InstanceId',
  'AlgoLibId',
  'AlgoLibName',
  'CapabilityName',
  'PageNumber',
  'PageSize',
]);

/**
 * DescribeAlgoLibs: `InstanceId` required; filters on `AlgoLibId` and `AlgoLibName`; `CapabilityName`
 * is accepted and ignored (the seed has no capabilities). Algo libs are shared by every instance.
 */
export function describeAlgoLibs(
  params: Record<string, string>,
  state: EmulatorState,
): Record<string, unknown> {
  checkInstance(params, state, ALGO_LIB_PARAMS);
  const { pageNumber, pageSize } = paging(params);
  const matching = state
    .listAlgoLibs()
    .filter((a) => params.AlgoLibId === undefined || a.AlgoLibId === params.AlgoLibId)
    .filter((a) => params.AlgoLibName === undefined || a.AlgoLibName === params.AlgoLibName);
  return {
    TotalCount: matching.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
    AlgoLibs: { AlgoLib: pageOf(matching, pageNumber, pageSize) },
  };
}

const PROFILE_PARAMS = new Set(['InstanceId', 'ResourceProfileId', 'PageNumber', 'PageSize']);

/**
 * DescribeResourceProfiles: `InstanceId` required; filter on `ResourceProfileId`. Profiles are shared
 * by every instance and carry no parameters.
 */
export function describeResourceProfiles(
  params: Record<string, string>,
  state: EmulatorState,
): Record<string, unknown> {
  checkInstance(params, state, PROFILE_PARAMS);
  const { pageNumber, pageSize } = paging(params);
  const matching = state
    .listResourceProfiles()
    .filter(
      (p) => params.ResourceProfileId === undefined || p.ResourceProfileId === params.ResourceProfileId,
    );
  return {
    TotalCount: matching.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
    ResourceProfiles: {
      ResourceProfile: pageOf(matching, pageNumber, pageSize).map((p) => ({
        ...p,
        ResourceProfileParams: { ResourceProfileParam: [] },
      })),
    },
  };
}
