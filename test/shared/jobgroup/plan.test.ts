import { describe, expect, it } from 'vitest';
import type { CityVisualClient } from '../../../shared/cityvisual/client.js';
import type { LiveJobGroup } from '../../../shared/cityvisual/contract.js';
import { AutopilotError } from '../../../shared/errors.js';
import { type Change, toIntent } from '../../../shared/intent/index.js';
import { applyIntent } from '../../../shared/jobgroup/apply.js';
import { planChange } from '../../../shared/jobgroup/plan.js';

const live: LiveJobGroup = {
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
  computeJobCount: 3,
};
const registry = { jobGroupName: 'east-registry', algoLibId: '7', resourceProfileId: '70' };
const intent = (change: Change) => toIntent(change);

describe('planChange', () => {
  it('sends only the fields that differ from the live group, with its identity fields', () => {
    const plan = planChange({
      intent: intent({ action: 'scale', jobGroupId: '3', planedJobCount: 12 }),
      live,
    });
    expect(plan).toMatchObject({
      kind: 'modify',
      params: {
        AlgoLibId: '2',
        JobGroupId: '3',
        JobGroupName: 'east',
        ResourceProfileId: '23',
        PlanedJobCount: '12',
      },
    });
  });

  it('plans no change when the live state already matches', () => {
    const plan = planChange({
      intent: intent({
        action: 'modify',
        jobGroupId: '3',
        planedJobCount: 10,
        status: 'Running',
        params: { ES_ENABLE: true },
      }),
      live,
    });
    expect(plan).toEqual({ kind: 'noop', jobGroupId: '3', reason: 'live-state-matches' });
  });

  it('maps params booleans to True/False and sends only changed keys', () => {
    const plan = planChange({
      intent: intent({
        action: 'set-params',
        jobGroupId: '3',
        params: { ES_ENABLE: true, RDS_ENABLE: false, SCHEDULE_FLOW_START_TIME: 'Oldest' },
      }),
      live,
    });
    expect(plan.kind === 'modify' && plan.params).toEqual({
      AlgoLibId: '2',
      JobGroupId: '3',
      JobGroupName: 'east',
      ResourceProfileId: '23',
      'JobGroupParams.1.Key': 'RDS_ENABLE',
      'JobGroupParams.1.Value': 'False',
      'JobGroupParams.2.Key': 'SCHEDULE_FLOW_START_TIME',
      'JobGroupParams.2.Value': 'Oldest',
    });
  });

  it('prefers identity fields from the request, then live, then registry', () => {
    const fromRequest = planChange({
      intent: intent({ action: 'modify', jobGroupId: '3', jobGroupName: 'renamed' }),
      live,
      registry,
    });
    expect(fromRequest.kind === 'modify' && fromRequest.params.JobGroupName).toBe('renamed');
    const fromRegistry = planChange({ intent: intent({ action: 'stop', jobGroupId: '3' }), registry });
    expect(fromRegistry.kind === 'modify' && fromRegistry.params).toEqual({
      AlgoLibId: '7',
      JobGroupId: '3',
      JobGroupName: 'east-registry',
      ResourceProfileId: '70',
      Status: 'Stopped',
    });
  });

  it('answers 404 with how to register when neither live state nor registry knows the group', () => {
    const act = () => planChange({ intent: intent({ action: 'start', jobGroupId: '99' }) });
    expect(act).toThrowError(AutopilotError);
    try {
      act();
    } catch (error) {
      expect((error as AutopilotError).code).toBe('JOB_GROUP_NOT_REGISTERED');
      expect((error as AutopilotError).status).toBe(404);
      expect((error as AutopilotError).message).toMatch(/CITYVISUAL_INSTANCE_ID|jobGroups/);
    }
  });

  it('rejects a registry entry that would produce a malformed request before anything is sent', () => {
    const act = () =>
      planChange({
        intent: intent({ action: 'stop', jobGroupId: '3' }),
        registry: { ...registry, jobGroupName: 'bad name' },
      });
    expect(act).toThrowError(/JobGroupName/);
  });

  it('without live reads, refuses an identity change the registry would undo on the next write', () => {
    const rename = () =>
      planChange({
        intent: intent({ action: 'modify', jobGroupId: '3', jobGroupName: 'Renamed', planedJobCount: 5 }),
        registry,
      });
    const sameName = planChange({
      intent: intent({ action: 'modify', jobGroupId: '3', jobGroupName: 'east-registry', planedJobCount: 5 }),
      registry,
    });

    expect(rename).toThrowError(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        field: 'jobGroupName',
        message: expect.stringContaining('jobGroups."3".jobGroupName'),
      }),
    );
    expect(sameName).toMatchObject({ kind: 'modify', params: { JobGroupName: 'east-registry' } });
  });

  it('with live reads, renames (the live name is what later writes send)', () => {
    const plan = planChange({
      intent: intent({ action: 'modify', jobGroupId: '3', jobGroupName: 'Renamed' }),
      live,
      registry,
    });
    expect(plan).toMatchObject({ kind: 'modify', params: { JobGroupName: 'Renamed' } });
  });
});

describe('planChange for a group whose live identity or status no caller could send', () => {
  it.each(['䶮城东路口', 'Gate.North', 'Ｇａｔｅ-East', '1st-avenue'])(
    'scales a group named %j, passing the name CityVisual holds back as it is',
    (jobGroupName) => {
      const plan = planChange({
        intent: intent({ action: 'scale', jobGroupId: '3', planedJobCount: 12 }),
        live: { ...live, jobGroupName },
      });
      expect(plan).toMatchObject({
        kind: 'modify',
        params: { JobGroupName: jobGroupName, PlanedJobCount: '12' },
      });
    },
  );

  it('passes held AlgoLibId and ResourceProfileId back as they are', () => {
    const plan = planChange({
      intent: intent({ action: 'stop', jobGroupId: '3' }),
      live: { ...live, algoLibId: 'lib.2', resourceProfileId: 'rp/23' },
    });
    expect(plan).toMatchObject({ params: { AlgoLibId: 'lib.2', ResourceProfileId: 'rp/23' } });
  });

  it('still checks a name the caller supplies, naming the caller field', () => {
    const act = () =>
      planChange({
        intent: intent({ action: 'modify', jobGroupId: '3', jobGroupName: 'Gate.South' }),
        live: { ...live, jobGroupName: 'Gate.North' },
      });
    expect(act).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT', field: 'jobGroupName' }));
  });

  it('accepts a caller-supplied name of any Han character', () => {
    const plan = planChange({
      intent: intent({ action: 'modify', jobGroupId: '3', jobGroupName: '䶮城西路口' }),
      live,
    });
    expect(plan).toMatchObject({ kind: 'modify', params: { JobGroupName: '䶮城西路口' } });
  });

  it.each([
    ['stop', 'Stopped'],
    ['start', 'Running'],
  ] as const)(
    'sends a %s to a group in a status no doc lists (Exception): CityVisual decides',
    (action, Status) => {
      const plan = planChange({
        intent: intent({ action, jobGroupId: '3' }),
        live: { ...live, liveStatus: 'Exception', status: 'Exception' },
      });
      expect(plan).toMatchObject({ kind: 'modify', params: { Status } });
    },
  );

  it('changes only the count of a group that is Creating when the status is not asked for', () => {
    const plan = planChange({
      intent: intent({ action: 'scale', jobGroupId: '3', planedJobCount: 10 }),
      live: { ...live, liveStatus: 'Creating', status: 'Creating' },
    });
    expect(plan).toEqual({ kind: 'noop', jobGroupId: '3', reason: 'live-state-matches' });
  });
});

describe('applyIntent without live reads', () => {
  const recording = () => {
    const sent: Array<Record<string, unknown>> = [];
    const client = {
      async modifyJobGroup(request: Record<string, unknown>) {
        sent.push(request);
        return { requestId: `rid-${sent.length}`, attempts: 1 };
      },
      describeJobGroups: async () => {
        throw new Error('no live reads');
      },
      describeJobGroup: async () => undefined,
    } as unknown as CityVisualClient;
    return { client, sent };
  };

  it('sends every change, a repeat too: what one instance applied says nothing of other writers', async () => {
    // Prepare: instance A scales to 20; another writer (instance B, a person) scaled to 2 since
    const { client, sent } = recording();
    const deps = { client, registry: { '3': registry } };
    const scale = (planedJobCount: number) =>
      applyIntent(intent({ action: 'scale', jobGroupId: '3', planedJobCount }), deps);
    await scale(20);

    // Act: A's next "scale to 20"
    const result = await scale(20);

    // Assess: sent, not answered changed:false
    expect(result).toMatchObject({ changed: true, requestId: 'rid-2' });
    expect(sent.map((r) => r.PlanedJobCount)).toEqual([20, 20]);
  });

  it('sends a repeated stop (an emergency stop is never skipped)', async () => {
    const { client, sent } = recording();
    const deps = { client, registry: { '3': registry } };
    const stop = () => applyIntent(intent({ action: 'stop', jobGroupId: '3' }), deps);
    await stop();
    const again = await stop();
    expect(again.changed).toBe(true);
    expect(sent.map((r) => r.Status)).toEqual(['Stopped', 'Stopped']);
  });
});
