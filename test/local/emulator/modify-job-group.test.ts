import { describe, expect, it } from 'vitest';
import { demoSeed } from '../../../local/emulator/index.js';
import { useEmulator } from '../../support/emulator.js';
import { GROUP_3, popCall, popClient } from './helpers.js';

// Group "1" of the demo seed.
const GROUP_1 = { AlgoLibId: '2', JobGroupId: '1', JobGroupName: 'CrossroadsNorth', ResourceProfileId: '23' };

describe('ModifyJobGroup on the emulator', () => {
  const emu = useEmulator();

  const modify = (params: Record<string, unknown>, method: 'GET' | 'POST' = 'POST') =>
    popCall(popClient(emu), 'ModifyJobGroup', params, method);

  it('applies every field and merges JobGroupParams by key', async () => {
    // Prepare
    const params = {
      AlgoLibId: '5',
      JobGroupId: '3',
      JobGroupName: '新的名字:v2',
      ResourceProfileId: '24',
      JobCount: 2,
      PlanedJobCount: 12,
      StreamPerJob: 6,
      Status: 'Stopped',
      RegionId: 'cn-shanghai',
      JobGroupParams: [
        { Key: 'ES_ENABLE', Value: 'False' },
        { Key: 'SCHEDULE_FLOW_START_TIME', Value: 'Oldest' },
      ],
    };

    // Act
    const result = await modify(params);

    // Assess
    expect(result.status).toBe(200);
    expect(emu.jobGroup('3')).toEqual({
      InstanceId: 'cv-demo-instance',
      JobGroupId: '3',
      JobGroupName: '新的名字:v2',
      AlgoLibId: '5',
      ResourceProfileId: '24',
      JobCount: 2,
      PlanedJobCount: 12,
      StreamPerJob: 6,
      Status: 'stopped',
      JobGroupParams: [
        { Key: 'ES_ENABLE', Value: 'False' },
        { Key: 'RDS_ENABLE', Value: 'True' },
        { Key: 'SCHEDULE_FLOW_START_TIME', Value: 'Oldest' },
      ],
    });
  });

  it.each([
    { status: 'Running', live: 'running', group: '4' },
    { status: 'Stopped', live: 'stopped', group: '1' },
  ])('maps Status $status to live status $live', async ({ status, live, group }) => {
    // Prepare
    const current = emu.jobGroup(group)!;
    const identity = {
      AlgoLibId: current.AlgoLibId,
      JobGroupId: group,
      JobGroupName: current.JobGroupName,
      ResourceProfileId: current.ResourceProfileId,
    };

    // Act
    await modify({ ...identity, Status: status }, 'GET');

    // Assess
    expect(emu.jobGroup(group)?.Status).toBe(live);
  });

  it('leaves absent optional fields alone', async () => {
    // Prepare
    const before = emu.jobGroup('3');

    // Act
    await modify(GROUP_3);

    // Assess
    expect(emu.jobGroup('3')).toEqual(before);
  });

  // The eight error codes of the ModifyJobGroup doc, with the doc's statuses.
  it.each([
    { name: 'AlgoLibId is missing', change: { AlgoLibId: undefined }, code: 'MissingParameter', status: 403 },
    { name: 'JobGroupId is empty', change: { JobGroupId: '' }, code: 'MissingParameter', status: 403 },
    {
      name: 'JobGroupName is missing',
      change: { JobGroupName: undefined },
      code: 'MissingParameter',
      status: 403,
    },
    {
      name: 'ResourceProfileId is missing',
      change: { ResourceProfileId: undefined },
      code: 'MissingParameter',
      status: 403,
    },
    {
      name: 'the job group does not exist',
      change: { JobGroupId: '999' },
      code: 'InvalidJobGroupId.NotFound',
      status: 404,
    },
    {
      name: 'the algo lib does not exist',
      change: { AlgoLibId: '999' },
      code: 'InvalidAlgoLibId.NotFound',
      status: 404,
    },
    {
      name: 'the resource profile does not exist',
      change: { ResourceProfileId: '999' },
      code: 'InvalidResourceProfileId.NotFound',
      status: 404,
    },
    {
      name: 'the name is malformed',
      change: { JobGroupName: '1abc' },
      code: 'InvalidName.Malformed',
      status: 400,
    },
    {
      name: 'another group has the name',
      change: { JobGroupName: 'CrossroadsNorth' },
      code: 'InvalidName.Duplicate',
      status: 400,
    },
    {
      name: 'Status is lowercase',
      change: { Status: 'running' },
      code: 'InvalidStatus.ValueNotSupported',
      status: 400,
    },
    {
      name: 'a param key is unsupported',
      change: { JobGroupParams: [{ Key: 'KAFKA_ENABLE', Value: 'True' }] },
      code: 'InvalidParameter.KeyNotSupported',
      status: 403,
    },
  ])('answers $code $status when $name', async ({ change, code, status }) => {
    // Prepare
    const params = Object.fromEntries(
      Object.entries({ ...GROUP_3, ...change }).filter(([, value]) => value !== undefined),
    );
    const before = emu.jobGroup('3');

    // Act
    const result = await modify(params);

    // Assess
    expect({ status: result.status, code: result.body.Code }).toEqual({ status, code });
    expect(emu.jobGroup('3')).toEqual(before);
    expect(emu.calls).toHaveLength(0);
  });

  it('names the missing parameter in the MissingParameter message', async () => {
    const { ResourceProfileId: _, ...params } = GROUP_3;
    const result = await modify(params);
    expect(result.body.Message).toContain('"ResourceProfileId"');
  });

  it.each([
    'a',
    '1abc',
    '_abc',
    '-abc',
    'ab cd',
    'ab/cd',
    'ab.cd',
    'http://example',
    'https://example',
    'éclair',
    'ab😀',
    'ａbc',
    '가나다',
    'x'.repeat(129),
  ])('rejects the name %j as InvalidName.Malformed', async (name) => {
    const result = await modify({ ...GROUP_3, JobGroupName: name });
    expect(result.body.Code).toBe('InvalidName.Malformed');
  });

  it.each([
    'ab',
    '中文',
    '城西路口-09',
    'a:b_c-d',
    'Z9',
    `a${'中'.repeat(127)}`,
    'x'.repeat(128),
    'httpfoo',
    '䶮城东路口',
    '𠀀城',
  ])('accepts the name %j', async (name) => {
    const result = await modify({ ...GROUP_3, JobGroupName: name });
    expect(result.status).toBe(200);
    expect(emu.jobGroup('3')?.JobGroupName).toBe(name);
  });

  it.each(['Gate.North', 'Ｇａｔｅ-East', '1st avenue'])(
    'takes back the name %j a group already holds, and refuses it as a new name',
    async (held) => {
      // Prepare: group 3 holds a name the doc's rule would refuse; group 1 does not
      const seed = demoSeed();
      seed.jobGroups.find((g) => g.JobGroupId === '3')!.JobGroupName = held;
      emu.reset(seed);

      // Act
      const kept = await modify({ ...GROUP_3, JobGroupName: held, PlanedJobCount: 7 });
      const renamed = await modify({ ...GROUP_1, JobGroupName: held });

      // Assess
      expect(kept.status).toBe(200);
      expect(emu.jobGroup('3')).toMatchObject({ JobGroupName: held, PlanedJobCount: 7 });
      expect(renamed.body.Code).toBe('InvalidName.Malformed');
    },
  );

  it.each([
    ['Stopped', 'stopped'],
    ['Running', 'running'],
  ])('applies Status %s to a group in a status no doc lists (Exception)', async (status, live) => {
    const seed = demoSeed();
    seed.jobGroups.find((g) => g.JobGroupId === '3')!.Status = 'Exception';
    emu.reset(seed);

    const result = await modify({ ...GROUP_3, Status: status });

    expect(result.status).toBe(200);
    expect(emu.jobGroup('3')?.Status).toBe(live);
  });

  it('accepts keeping its own name (not a duplicate of itself)', async () => {
    const result = await modify({ ...GROUP_3, JobGroupName: 'JobGroupName' });
    expect(result.status).toBe(200);
  });

  it.each([
    { name: 'JobCount is negative', change: { JobCount: -1 }, parameter: 'JobCount' },
    { name: 'PlanedJobCount is fractional', change: { PlanedJobCount: 1.5 }, parameter: 'PlanedJobCount' },
    { name: 'StreamPerJob is not a number', change: { StreamPerJob: 'five' }, parameter: 'StreamPerJob' },
    { name: 'JobCount is empty', change: { JobCount: '' }, parameter: 'JobCount' },
    {
      name: 'PlanedJobCount overflows an Integer',
      change: { PlanedJobCount: 2147483648 },
      parameter: 'PlanedJobCount',
    },
    {
      name: 'a count is pop-core\'s "undefined"',
      change: { PlanedJobCount: undefined },
      parameter: 'PlanedJobCount',
    },
    { name: 'a field is pop-core\'s "null"', change: { Status: null }, parameter: 'Status' },
    {
      name: 'an ENABLE key takes Latest',
      change: { JobGroupParams: [{ Key: 'ES_ENABLE', Value: 'Latest' }] },
      parameter: 'JobGroupParams.1.Value',
    },
    {
      name: 'the start time takes True',
      change: { JobGroupParams: [{ Key: 'SCHEDULE_FLOW_START_TIME', Value: 'True' }] },
      parameter: 'JobGroupParams.1.Value',
    },
    {
      name: 'an ENABLE value is lowercase',
      change: { JobGroupParams: [{ Key: 'RDS_ENABLE', Value: 'true' }] },
      parameter: 'JobGroupParams.1.Value',
    },
    {
      name: 'a Key has no Value',
      change: { JobGroupParams: [{ Key: 'ES_ENABLE' }] },
      parameter: 'JobGroupParams.1.Value',
    },
    {
      name: 'a Value has no Key',
      change: { JobGroupParams: [{ Value: 'True' }] },
      parameter: 'JobGroupParams.1.Key',
    },
    {
      name: 'a key is repeated',
      change: {
        JobGroupParams: [
          { Key: 'ES_ENABLE', Value: 'True' },
          { Key: 'ES_ENABLE', Value: 'False' },
        ],
      },
      parameter: 'JobGroupParams.2.Key',
    },
    {
      name: 'InstanceId is sent (not a ModifyJobGroup parameter)',
      change: { InstanceId: 'cv-demo-instance' },
      parameter: 'InstanceId',
    },
    {
      name: 'a param field is misspelled',
      change: { JobGroupParams: [{ key: 'ES_ENABLE', value: 'True' }] },
      parameter: 'JobGroupParams.1.key',
    },
  ])('answers InvalidParameter 400 naming $parameter when $name', async ({ change, parameter }) => {
    // Act: pop-core sends undefined/null as the strings "undefined"/"null".
    const result = await modify({ ...GROUP_3, ...change });

    // Assess
    expect({ status: result.status, code: result.body.Code }).toEqual({
      status: 400,
      code: 'InvalidParameter',
    });
    expect(result.body.Message).toContain(`"${parameter}"`);
  });

  it('prefers KeyNotSupported over a bad value of another param', async () => {
    const result = await modify({
      ...GROUP_3,
      JobGroupParams: [
        { Key: 'ES_ENABLE', Value: 'Maybe' },
        { Key: 'NOPE', Value: 'True' },
      ],
    });
    expect(result.body.Code).toBe('InvalidParameter.KeyNotSupported');
  });

  it.each([0, 10_000, 2147483647])('accepts the count %d', async (count) => {
    const result = await modify({ ...GROUP_3, PlanedJobCount: count, JobCount: count, StreamPerJob: count });
    expect(result.status).toBe(200);
    expect(emu.jobGroup('3')).toMatchObject({ PlanedJobCount: count, JobCount: count, StreamPerJob: count });
  });

  it('checks the name against groups of the same instance only', async () => {
    // Prepare
    const seed = {
      instances: [{ InstanceId: 'a' }, { InstanceId: 'b' }],
      algoLibs: [{ AlgoLibId: '2', AlgoLibName: 'lib' }],
      resourceProfiles: [{ ResourceProfileId: '23', ResourceProfileName: 'p' }],
      jobGroups: [
        {
          InstanceId: 'a',
          JobGroupId: '3',
          JobGroupName: 'Alpha',
          AlgoLibId: '2',
          ResourceProfileId: '23',
          JobCount: 1,
          PlanedJobCount: 1,
          StreamPerJob: 1,
          Status: 'running' as const,
          JobGroupParams: [],
        },
        {
          InstanceId: 'b',
          JobGroupId: '4',
          JobGroupName: 'Beta',
          AlgoLibId: '2',
          ResourceProfileId: '23',
          JobCount: 1,
          PlanedJobCount: 1,
          StreamPerJob: 1,
          Status: 'running' as const,
          JobGroupParams: [],
        },
      ],
    };
    emu.reset(seed);

    // Act
    const result = await modify({ ...GROUP_3, JobGroupName: 'Beta' });

    // Assess
    expect(result.status).toBe(200);
  });
});
