import { canonicalTarget, type Params, type Target } from '../jobgroup/target.js';

const larger = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

/**
 * Targets merged erring towards capacity, as overlapping windows are: the largest count wins,
 * `Running` beats `Stopped`, params merge by key (the earlier target wins a key). Also how the alert
 * hooks merge the changes of several firing alerts for one group.
 */
export function mergeTargets(targets: readonly Target[]): Target {
  const merged: Target = {};
  let params: Params | undefined;
  for (const set of targets) {
    merged.planedJobCount = larger(merged.planedJobCount, set.planedJobCount);
    merged.jobCount = larger(merged.jobCount, set.jobCount);
    merged.streamPerJob = larger(merged.streamPerJob, set.streamPerJob);
    if (set.status !== undefined && merged.status !== 'Running') merged.status = set.status;
    if (set.params) params = { ...set.params, ...params };
  }
  if (params) merged.params = params;
  return canonicalTarget(merged);
}
