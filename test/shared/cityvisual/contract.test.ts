import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DescribeJobGroupsResponseSchema,
  JobGroupNameSchema,
  LiveModifyJobGroupRequestSchema,
  type ModifyJobGroupRequest,
  ModifyJobGroupRequestSchema,
  toRpcParams,
} from '../../../shared/cityvisual/contract.js';

const base: ModifyJobGroupRequest = {
  AlgoLibId: '2',
  JobGroupId: '3',
  JobGroupName: 'JobGroupName',
  ResourceProfileId: '23',
};

const accepts = (patch: Record<string, unknown>) =>
  ModifyJobGroupRequestSchema.safeParse({ ...base, ...patch }).success;
const without = (key: keyof ModifyJobGroupRequest) => {
  const { [key]: _dropped, ...rest } = base;
  return ModifyJobGroupRequestSchema.safeParse(rest).success;
};

describe('ModifyJobGroup request contract', () => {
  it('accepts the doc example request', () => {
    expect(ModifyJobGroupRequestSchema.safeParse(base).success).toBe(true);
  });

  it.each(['AlgoLibId', 'JobGroupId', 'JobGroupName', 'ResourceProfileId'] as const)('requires %s', (key) => {
    expect(without(key)).toBe(false);
  });

  it.each([
    ['two characters', 'ab', true],
    ['one character', 'a', false],
    ['128 characters', `a${'b'.repeat(127)}`, true],
    ['129 characters', `a${'b'.repeat(128)}`, false],
    ['128 Chinese characters', '城'.repeat(128), true],
    ['a Chinese first character', '城市视觉-1', true],
    ['a CJK Extension A character first', '䶮城东路口', true],
    ['a CJK Extension B character (outside the BMP)', '𠀀城-2', true],
    ['a CJK compatibility ideograph (U+F900)', '\u{F900}水路口', true],
    ['a full-width letter', 'Ｇate', false],
    ['a Hangul syllable', '가나다', false],
    ['a digit first', '1group', false],
    ['an underscore first', '_group', false],
    ['colon, underscore and hyphen inside', 'a:b_c-d', true],
    ['a space', 'job group', false],
    ['a dot', 'job.group', false],
    ['a slash', 'job/group', false],
    ['an http:// prefix', 'http://x', false],
    ['an https:// prefix', 'https://x', false],
    ['http without the slashes', 'http:group', true],
    ['an accented letter', 'café', false],
    ['an emoji', 'group😀', false],
    ['an empty string', '', false],
  ])('JobGroupName with %s: accepted=%s', (_case, name, ok) => {
    expect(accepts({ JobGroupName: name })).toBe(ok);
  });

  it.each([
    ['JobCount', 0, true],
    ['JobCount', 3, true],
    ['JobCount', -1, false],
    ['JobCount', 1.5, false],
    ['JobCount', 10_000, true],
    ['JobCount', 10_001, false],
    ['PlanedJobCount', 10, true],
    ['PlanedJobCount', -3, false],
    ['PlanedJobCount', '10', false],
    ['PlanedJobCount', 10_001, false],
    ['StreamPerJob', 5, true],
    ['StreamPerJob', 1_000, true],
    ['StreamPerJob', 1_001, false],
    ['StreamPerJob', Number.NaN, false],
  ])('%s = %s: accepted=%s', (key, value, ok) => {
    expect(accepts({ [key]: value })).toBe(ok);
  });

  it.each([
    ['Running', true],
    ['Stopped', true],
    ['running', false],
    ['Paused', false],
  ])('Status %s: accepted=%s', (status, ok) => {
    expect(accepts({ Status: status })).toBe(ok);
  });

  it.each([
    ['ES_ENABLE', 'True', true],
    ['RDS_ENABLE', 'False', true],
    ['OUT_MQ_ENABLE', 'True', true],
    ['DATAHUB_ENABLE', 'False', true],
    ['SCHEDULE_FLOW_START_TIME', 'Latest', true],
    ['SCHEDULE_FLOW_START_TIME', 'Oldest', true],
    ['ES_ENABLE', 'Latest', false],
    ['SCHEDULE_FLOW_START_TIME', 'True', false],
    ['ES_ENABLE', 'true', false],
    ['KAFKA_ENABLE', 'True', false],
  ])('JobGroupParams %s=%s: accepted=%s', (Key, Value, ok) => {
    expect(accepts({ JobGroupParams: [{ Key, Value }] })).toBe(ok);
  });

  it('rejects a JobGroupParams key given twice', () => {
    const params = [
      { Key: 'ES_ENABLE', Value: 'True' },
      { Key: 'ES_ENABLE', Value: 'False' },
    ];
    const result = ModifyJobGroupRequestSchema.safeParse({ ...base, JobGroupParams: params });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['JobGroupParams', 1, 'Key']);
  });

  it.each([
    ['cn-shanghai', true],
    ['ap-southeast-1', true],
    ['Shanghai', false],
    ['cn_shanghai', false],
  ])('RegionId %s: accepted=%s', (region, ok) => {
    expect(accepts({ RegionId: region })).toBe(ok);
  });

  it('rejects InstanceId and other fields the API doc does not list', () => {
    expect(accepts({ InstanceId: 'cv-1' })).toBe(false);
  });
});

describe('toRpcParams', () => {
  it('numbers JobGroupParams from 1 and stringifies every value', () => {
    const params = toRpcParams({
      ...base,
      PlanedJobCount: 10,
      Status: 'Running',
      JobGroupParams: [
        { Key: 'ES_ENABLE', Value: 'True' },
        { Key: 'SCHEDULE_FLOW_START_TIME', Value: 'Latest' },
      ],
    });
    expect(params).toEqual({
      AlgoLibId: '2',
      JobGroupId: '3',
      JobGroupName: 'JobGroupName',
      ResourceProfileId: '23',
      PlanedJobCount: '10',
      Status: 'Running',
      'JobGroupParams.1.Key': 'ES_ENABLE',
      'JobGroupParams.1.Value': 'True',
      'JobGroupParams.2.Key': 'SCHEDULE_FLOW_START_TIME',
      'JobGroupParams.2.Value': 'Latest',
    });
  });

  it('never sends an absent field, so pop-core cannot send "undefined"', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            JobCount: fc.nat(10_000),
            PlanedJobCount: fc.nat(10_000),
            StreamPerJob: fc.nat(1_000),
            Status: fc.constantFrom('Running', 'Stopped'),
          },
          { requiredKeys: [] },
        ),
        (optional) => {
          const params = toRpcParams(ModifyJobGroupRequestSchema.parse({ ...base, ...optional }));
          for (const value of Object.values(params)) {
            expect(value).not.toMatch(/^(undefined|null)$/);
          }
          expect(Object.keys(params).length).toBe(4 + Object.keys(optional).length);
        },
      ),
    );
  });
});

describe('JobGroupName property', () => {
  it('accepts exactly the names built from the documented alphabet', () => {
    const first = fc.constantFrom(...'abcXYZ城市视觉䶮𠀀');
    const rest = fc.constantFrom(...'abcXYZ城市视觉䶮𠀀0129:_-');
    fc.assert(
      fc.property(first, fc.array(rest, { minLength: 1, maxLength: 127 }), (head, tail) => {
        expect(JobGroupNameSchema.safeParse(head + tail.join('')).success).toBe(true);
      }),
    );
  });
});

describe('DescribeJobGroups response', () => {
  const sdkShape = {
    RequestId: 'E175B041-75A2-4335-B3AC-0FD008F93627',
    TotalCount: 1,
    PageNumber: 1,
    PageSize: 10,
    JobGroups: {
      JobGroup: [
        {
          JobGroupId: '3',
          JobGroupName: 'east',
          AlgoLibId: '2',
          ResourceProfileId: '23',
          JobCount: 3,
          PlanedJobCount: 10,
          StreamPerJob: 5,
          Status: 'running',
          JobGroupParams: { JobGroupParam: [{ Key: 'ES_ENABLE', Value: 'True' }] },
          ComputeJobs: { ComputeJob: [{ ComputeJobId: 'j1' }] },
        },
      ],
    },
  };
  const docShape = {
    RequestId: 'E175B041-75A2-4335-B3AC-0FD008F93627',
    TotalCount: 1,
    JobGroups: [
      {
        JobGroupId: 3,
        Name: 'east',
        AlgoLibId: 2,
        ResourceProfileId: 23,
        JobCount: 3,
        PlanedJobCount: 10,
        StreamPerJob: 5,
        Status: 'stopping',
        ComputeJobs: [{ ComputeJobId: 1 }, { ComputeJobId: 2 }],
      },
    ],
  };

  it('reads the SDK model shape', () => {
    const result = DescribeJobGroupsResponseSchema.parse(sdkShape);
    expect(result.jobGroups[0]).toEqual({
      jobGroupId: '3',
      jobGroupName: 'east',
      algoLibId: '2',
      resourceProfileId: '23',
      jobCount: 3,
      planedJobCount: 10,
      streamPerJob: 5,
      liveStatus: 'running',
      status: 'Running',
      params: { ES_ENABLE: 'True' },
      computeJobCount: 1,
    });
  });

  it('reads the doc example shape: Name, bare arrays, numeric ids, lowercase status', () => {
    const result = DescribeJobGroupsResponseSchema.parse(docShape);
    expect(result.jobGroups[0]).toMatchObject({
      jobGroupId: '3',
      jobGroupName: 'east',
      algoLibId: '2',
      status: 'Stopped',
      liveStatus: 'stopping',
      computeJobCount: 2,
    });
  });

  it('rejects a job group with neither JobGroupName nor Name', () => {
    const { JobGroupName: _n, ...nameless } = sdkShape.JobGroups.JobGroup[0]!;
    const result = DescribeJobGroupsResponseSchema.safeParse({
      ...sdkShape,
      JobGroups: { JobGroup: [nameless] },
    });
    expect(result.success).toBe(false);
  });

  it.each([
    ['Exception', 'Exception'],
    ['Creating', 'Creating'],
    ['exploded', 'exploded'],
    ['Running', 'Running'],
    ['STOPPING', 'Stopped'],
  ])('reads a live status %s as %s, never refusing the answer', (liveStatus, status) => {
    const answer = structuredClone(sdkShape);
    answer.JobGroups.JobGroup[0]!.Status = liveStatus;
    const result = DescribeJobGroupsResponseSchema.parse(answer);
    expect(result.jobGroups[0]).toMatchObject({ liveStatus, status });
  });

  it('keeps the identity CityVisual holds exactly as read, whatever it contains', () => {
    const answer = structuredClone(sdkShape);
    Object.assign(answer.JobGroups.JobGroup[0]!, {
      JobGroupName: 'Ｇａｔｅ.North 䶮',
      AlgoLibId: 'lib.2/x',
      ResourceProfileId: 'rp:23',
    });
    const result = DescribeJobGroupsResponseSchema.parse(answer);
    expect(result.jobGroups[0]).toMatchObject({
      jobGroupName: 'Ｇａｔｅ.North 䶮',
      algoLibId: 'lib.2/x',
      resourceProfileId: 'rp:23',
    });
  });
});

describe('ModifyJobGroup request for a group read live', () => {
  it.each(['䶮城东路口', 'Gate.North', 'Ｇａｔｅ-East', '1st-avenue'])(
    'passes the held name %j back, which the caller rules would refuse',
    (name) => {
      expect(LiveModifyJobGroupRequestSchema.safeParse({ ...base, JobGroupName: name }).success).toBe(true);
      expect(accepts({ JobGroupName: name })).toBe(name === '䶮城东路口');
    },
  );

  it('checks every field that is not an identity value as strictly as the full contract', () => {
    const live = (patch: Record<string, unknown>) =>
      LiveModifyJobGroupRequestSchema.safeParse({ ...base, ...patch }).success;
    expect(live({ Status: 'Exception' })).toBe(false);
    expect(live({ PlanedJobCount: -1 })).toBe(false);
    expect(live({ JobGroupId: 'bad id' })).toBe(false);
    expect(live({ JobGroupParams: [{ Key: 'KAFKA_ENABLE', Value: 'True' }] })).toBe(false);
    expect(live({ InstanceId: 'cv-1' })).toBe(false);
  });
});
