import { EmulatorApiError } from './errors.js';
import { pageOf, paging, rejectNullishLiterals, rejectUnknownParams, requireParams } from './params.js';
import type { JobGroupState } from './seed.js';
import type { EmulatorState } from './state.js';

/**
 * Body shape of DescribeJobGroups: `sdk` follows the generated SDK model (`JobGroupName`,
 * `ComputeJobs.ComputeJob[]`); `doc` follows the API doc's JSON example (`Name`, a bare `ComputeJobs`
 * array, numeric compute job ids). Both keep `JobGroups.JobGroup[]`, as the doc example does.
 */
export type DescribeShape = 'sdk' | 'doc';

const ALLOWED = new Set(['InstanceId', 'JobGroupId', 'PageNumber', 'PageSize']);
// A group's compute jobs are derived from JobCount; the list is capped so a huge count stays cheap.
const MAX_LISTED_COMPUTE_JOBS = 100;

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * DescribeJobGroups: `InstanceId` required, optional `JobGroupId` filter (an unknown id gives an empty
 * page), `PageNumber` (default 1) and `PageSize` (default 10, max 100). Groups in seed order.
 */
export function describeJobGroups(
  params: Record<string, string>,
  state: EmulatorState,
  shape: DescribeShape,
  now: number,
): Record<string, unknown> {
  rejectNullishLiterals(params);
  rejectUnknownParams(params, (name) => ALLOWED.has(name));
  requireParams(params, ['InstanceId']);
  const { pageNumber, pageSize } = paging(params);
  const instanceId = params.InstanceId!;
  if (!state.hasInstance(instanceId)) throw new EmulatorApiError('InvalidInstanceId.NotFound');

  const matching = state.listGroups(instanceId, params.JobGroupId);
  const page = pageOf(matching, pageNumber, pageSize).map((group) =>
    present(group, state.statusSince(group.JobGroupId) ?? now, shape, now),
  );
  return {
    TotalCount: matching.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
    JobGroups: { JobGroup: page },
  };
}

function present(
  group: Readonly<JobGroupState>,
  since: number,
  shape: DescribeShape,
  now: number,
): Record<string, unknown> {
  const running = group.Status === 'running';
  const computeJobs = Array.from({ length: Math.min(group.JobCount, MAX_LISTED_COMPUTE_JOBS) }, (_, i) => ({
    ComputeJobId: shape === 'doc' ? i + 1 : `${group.JobGroupId}-${i + 1}`,
    ComputeJobName: shape === 'doc' ? i + 1 : `${group.JobGroupName}-job-${i + 1}`,
    ComputeJobStatus: running ? 'Running' : 'Stopped',
    StartTime: running ? isoSeconds(since) : '',
    EndTime: running ? '' : isoSeconds(since),
    Duration: running ? Math.max(0, Math.floor((now - since) / 1000)) : 0,
  }));
  const name = shape === 'doc' ? { Name: group.JobGroupName } : { JobGroupName: group.JobGroupName };
  return {
    JobGroupId: group.JobGroupId,
    ...name,
    AlgoLibId: group.AlgoLibId,
    ResourceProfileId: group.ResourceProfileId,
    JobCount: group.JobCount,
    PlanedJobCount: group.PlanedJobCount,
    StreamPerJob: group.StreamPerJob,
    Status: group.Status,
    JobGroupParams: { JobGroupParam: group.JobGroupParams.map(({ Key, Value }) => ({ Key, Value })) },
    ComputeJobs: shape === 'doc' ? computeJobs : { ComputeJob: computeJobs },
  };
}
