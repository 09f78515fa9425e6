import { EmulatorApiError, invalidParameter } from './errors.js';
import { isValidJobGroupName } from './job-group-name.js';
import { optionalCount, rejectNullishLiterals, rejectUnknownParams, requireParams } from './params.js';
import type { EmulatorState, JobGroupChange } from './state.js';

const REQUIRED = ['AlgoLibId', 'JobGroupId', 'JobGroupName', 'ResourceProfileId'] as const;
const OPTIONAL = ['JobCount', 'PlanedJobCount', 'StreamPerJob', 'Status'] as const;
const ALLOWED = new Set<string>([...REQUIRED, ...OPTIONAL]);
const PARAM_NAME = /^JobGroupParams\.([1-9]\d{0,3})\.(Key|Value)$/;

const ENABLE_VALUES = ['True', 'False'];
const START_TIME_VALUES = ['Latest', 'Oldest'];
/** Supported `JobGroupParams.N.Key`s and the values each takes. */
export const PARAM_VALUES: Readonly<Record<string, readonly string[]>> = {
  ES_ENABLE: ENABLE_VALUES,
  RDS_ENABLE: ENABLE_VALUES,
  OUT_MQ_ENABLE: ENABLE_VALUES,
  DATAHUB_ENABLE: ENABLE_VALUES,
  SCHEDULE_FLOW_START_TIME: START_TIME_VALUES,
};

const STATUS_VALUES = { Running: 'running', Stopped: 'stopped' } as const;

/**
 * ModifyJobGroup, every rule of the API doc, checked in this order: literal "undefined"/"null",
 * unknown parameters, required parameters, JobGroupName format (unless it is the group's own name),
 * Status, counts, JobGroupParams (unsupported keys first, then values and duplicates), existence of
 * the job group, algo lib and resource profile, then name uniqueness within the instance. On success
 * the change is applied.
 */
export function modifyJobGroup(params: Record<string, string>, state: EmulatorState): Record<string, never> {
  rejectNullishLiterals(params);
  rejectUnknownParams(params, (name) => ALLOWED.has(name) || PARAM_NAME.test(name));
  requireParams(params, REQUIRED);
  const jobGroupId = params.JobGroupId!;
  const name = params.JobGroupName!;
  const algoLibId = params.AlgoLibId!;
  const resourceProfileId = params.ResourceProfileId!;

  const group = state.group(jobGroupId);
  // The name a group already has is taken back as it is, whatever it holds (a dot, a full-width
  // letter): CityVisual accepted it once, and a client only passes it back. A new name meets the
  // doc's rule. (How the real service treats a held name is UNCONFIRMED; refusing it would make such
  // a group unchangeable by any client that must send JobGroupName on every call.)
  if (name !== group?.JobGroupName && !isValidJobGroupName(name)) {
    throw new EmulatorApiError('InvalidName.Malformed');
  }

  const status = params.Status;
  if (status !== undefined && status !== 'Running' && status !== 'Stopped') {
    throw new EmulatorApiError('InvalidStatus.ValueNotSupported');
  }
  const change: JobGroupChange = {
    JobGroupName: name,
    AlgoLibId: algoLibId,
    ResourceProfileId: resourceProfileId,
    JobCount: optionalCount(params, 'JobCount'),
    PlanedJobCount: optionalCount(params, 'PlanedJobCount'),
    StreamPerJob: optionalCount(params, 'StreamPerJob'),
    Status: status === undefined ? undefined : STATUS_VALUES[status],
    params: jobGroupParams(params),
  };

  if (!group) throw new EmulatorApiError('InvalidJobGroupId.NotFound');
  if (!state.hasAlgoLib(algoLibId)) throw new EmulatorApiError('InvalidAlgoLibId.NotFound');
  if (!state.hasResourceProfile(resourceProfileId)) {
    throw new EmulatorApiError('InvalidResourceProfileId.NotFound');
  }
  if (state.nameTaken(group.InstanceId, name, jobGroupId)) {
    throw new EmulatorApiError('InvalidName.Duplicate');
  }

  state.update(jobGroupId, change);
  return {};
}

/** The `JobGroupParams.N.Key/Value` pairs, in N order, validated. */
function jobGroupParams(params: Record<string, string>): { Key: string; Value: string }[] {
  const byIndex = new Map<number, { Key?: string; Value?: string }>();
  for (const [name, value] of Object.entries(params)) {
    const match = PARAM_NAME.exec(name);
    if (!match) continue;
    const index = Number(match[1]);
    const entry = byIndex.get(index) ?? {};
    entry[match[2] as 'Key' | 'Value'] = value;
    byIndex.set(index, entry);
  }
  const entries = [...byIndex.entries()].sort(([a], [b]) => a - b);

  for (const [index, entry] of entries) {
    if (entry.Key === undefined)
      throw invalidParameter(`JobGroupParams.${index}.Key`, 'A Value needs its Key.');
  }
  for (const [index, { Key }] of entries) {
    if (!Object.hasOwn(PARAM_VALUES, Key!)) {
      throw new EmulatorApiError(
        'InvalidParameter.KeyNotSupported',
        `The parameter key of "JobGroupParams.${index}.Key" is not supported.`,
      );
    }
  }
  const seen = new Set<string>();
  return entries.map(([index, { Key, Value }]) => {
    const key = Key!;
    if (seen.has(key))
      throw invalidParameter(`JobGroupParams.${index}.Key`, `The key ${key} is given more than once.`);
    seen.add(key);
    if (Value === undefined)
      throw invalidParameter(`JobGroupParams.${index}.Value`, `The key ${key} needs a Value.`);
    const allowed = PARAM_VALUES[key]!;
    if (!allowed.includes(Value)) {
      throw invalidParameter(`JobGroupParams.${index}.Value`, `${key} takes ${allowed.join(' or ')}.`);
    }
    return { Key: key, Value };
  });
}
