import type { KnownAction } from './actions.js';
import { describeAlgoLibs, describeResourceProfiles } from './catalog.js';
import { type DescribeShape, describeJobGroups } from './describe-job-groups.js';
import { EmulatorApiError } from './errors.js';
import { setJobGroupRunning } from './job-group-lifecycle.js';
import { modifyJobGroup } from './modify-job-group.js';
import type { EmulatorState } from './state.js';

/** What an action may read besides its parameters. */
export interface ActionContext {
  state: EmulatorState;
  describeShape: DescribeShape;
  now: number;
}

/** The actions the emulator models; every other known action answers `UnsupportedOperation` (501). */
export const IMPLEMENTED_ACTIONS = [
  'ModifyJobGroup',
  'DescribeJobGroups',
  'StartJobGroup',
  'StopJobGroup',
  'DescribeAlgoLibs',
  'DescribeResourceProfiles',
] as const satisfies readonly KnownAction[];

/** Runs one authenticated action; returns the success body without `RequestId`. */
export function runAction(
  action: KnownAction,
  params: Record<string, string>,
  ctx: ActionContext,
): Record<string, unknown> {
  switch (action) {
    case 'ModifyJobGroup':
      return modifyJobGroup(params, ctx.state);
    case 'DescribeJobGroups':
      return describeJobGroups(params, ctx.state, ctx.describeShape, ctx.now);
    case 'StartJobGroup':
      return setJobGroupRunning(params, ctx.state, true);
    case 'StopJobGroup':
      return setJobGroupRunning(params, ctx.state, false);
    case 'DescribeAlgoLibs':
      return describeAlgoLibs(params, ctx.state);
    case 'DescribeResourceProfiles':
      return describeResourceProfiles(params, ctx.state);
    default:
      throw new EmulatorApiError(
        'UnsupportedOperation',
        `The local emulator does not implement ${action}; it implements ${IMPLEMENTED_ACTIONS.join(', ')}.`,
      );
  }
}
