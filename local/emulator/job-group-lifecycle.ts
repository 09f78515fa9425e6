import { EmulatorApiError } from './errors.js';
import { rejectNullishLiterals, rejectUnknownParams, requireParams } from './params.js';
import type { EmulatorState } from './state.js';

const ALLOWED = new Set(['JobGroupId']);

/**
 * StartJobGroup / StopJobGroup: `JobGroupId` required (`InvalidJobGroupId.NotFound` otherwise); the
 * group goes straight to `running` / `stopped` (no `starting`/`stopping` phase is simulated).
 */
export function setJobGroupRunning(
  params: Record<string, string>,
  state: EmulatorState,
  running: boolean,
): Record<string, never> {
  rejectNullishLiterals(params);
  rejectUnknownParams(params, (name) => ALLOWED.has(name));
  requireParams(params, ['JobGroupId']);
  const jobGroupId = params.JobGroupId!;
  if (!state.group(jobGroupId)) throw new EmulatorApiError('InvalidJobGroupId.NotFound');
  state.update(jobGroupId, { Status: running ? 'running' : 'stopped' });
  return {};
}
