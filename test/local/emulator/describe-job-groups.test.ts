import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, makeFleetSeed, startEmulator } from '../../../local/emulator/index.js';
import { popCall, popClient } from './helpers.js';

describe('DescribeJobGroups on the emulator', () => {
  let emu: Emulator | undefined;
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });

  const describeGroups = (e: Emulator, params: Record<string, unknown>, method: 'GET' | 'POST' = 'POST') =>
    popCall(popClient(e), 'DescribeJobGroups', params, method);

  it.each(['Exception', 'Creating'])('reports a seeded status no doc lists (%s) as it is', async (status) => {
    // Prepare
    const seed = makeFleetSeed(1);
    seed.jobGroups[0]!.Status = status;
    emu = await startEmulator({ seed });

    // Act
    const result = await describeGroups(emu, { InstanceId: 'cv-fleet-instance' });

    // Assess
    const [group] = (result.body.JobGroups as { JobGroup: Record<string, unknown>[] }).JobGroup;
    expect(group).toMatchObject({ JobGroupId: '1', Status: status });
  });

  it('answers the SDK shape by default', async () => {
    // Prepare
    emu = await startEmulator();

    // Act
    const result = await describeGroups(emu, { InstanceId: 'cv-demo-instance', JobGroupId: '3' });

    // Assess
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ TotalCount: 1, PageNumber: 1, PageSize: 10 });
    const groups = (result.body.JobGroups as { JobGroup: Record<string, unknown>[] }).JobGroup;
    expect(groups).toHaveLength(1);
    const [group] = groups;
    expect(group).toMatchObject({
      JobGroupId: '3',
      JobGroupName: 'JobGroupName',
      AlgoLibId: '2',
      ResourceProfileId: '23',
      JobCount: 3,
      PlanedJobCount: 10,
      StreamPerJob: 5,
      Status: 'running',
      JobGroupParams: {
        JobGroupParam: [
          { Key: 'ES_ENABLE', Value: 'True' },
          { Key: 'RDS_ENABLE', Value: 'True' },
        ],
      },
    });
    expect(group).not.toHaveProperty('Name');
    const computeJobs = (group!.ComputeJobs as { ComputeJob: Record<string, unknown>[] }).ComputeJob;
    expect(computeJobs).toHaveLength(3);
    expect(computeJobs[0]).toEqual({
      ComputeJobId: '3-1',
      ComputeJobName: 'JobGroupName-job-1',
      ComputeJobStatus: 'Running',
      StartTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      EndTime: '',
      Duration: expect.any(Number),
    });
  });

  it("answers the API doc's shape when asked: Name, bare ComputeJobs array, numeric job ids", async () => {
    // Prepare
    emu = await startEmulator({ describeShape: 'doc' });

    // Act
    const result = await describeGroups(emu, { InstanceId: 'cv-demo-instance', JobGroupId: '3' }, 'GET');

    // Assess
    const [group] = (result.body.JobGroups as { JobGroup: Record<string, unknown>[] }).JobGroup;
    expect(group).toMatchObject({ JobGroupId: '3', Name: 'JobGroupName', Status: 'running' });
    expect(group).not.toHaveProperty('JobGroupName');
    expect(Array.isArray(group?.ComputeJobs)).toBe(true);
    expect((group!.ComputeJobs as Record<string, unknown>[])[0]).toMatchObject({
      ComputeJobId: 1,
      ComputeJobName: 1,
    });
  });

  it('reflects a ModifyJobGroup in the next read', async () => {
    // Prepare
    emu = await startEmulator();
    const client = popClient(emu);
    await popCall(client, 'ModifyJobGroup', {
      AlgoLibId: '2',
      JobGroupId: '1',
      JobGroupName: 'CrossroadsNorth',
      ResourceProfileId: '23',
      Status: 'Stopped',
      PlanedJobCount: 0,
    });

    // Act
    const result = await describeGroups(emu, { InstanceId: 'cv-demo-instance', JobGroupId: '1' });

    // Assess
    const [group] = (result.body.JobGroups as { JobGroup: Record<string, unknown>[] }).JobGroup;
    expect(group).toMatchObject({ Status: 'stopped', PlanedJobCount: 0 });
  });

  it.each([
    { params: {}, total: 25, page: 1, size: 10, ids: ['1', '10'] },
    { params: { PageNumber: 3 }, total: 25, page: 3, size: 10, ids: ['21', '25'] },
    { params: { PageSize: 100 }, total: 25, page: 1, size: 100, ids: ['1', '25'] },
    { params: { PageNumber: 4, PageSize: 10 }, total: 25, page: 4, size: 10, ids: [] },
    { params: { JobGroupId: '404' }, total: 0, page: 1, size: 10, ids: [] },
  ])('pages a fleet of 25 with $params', async ({ params, total, page, size, ids }) => {
    // Prepare
    emu = await startEmulator({ seed: makeFleetSeed(25, { instanceId: 'fleet' }) });

    // Act
    const result = await describeGroups(emu, { InstanceId: 'fleet', ...params });

    // Assess
    expect(result.body).toMatchObject({ TotalCount: total, PageNumber: page, PageSize: size });
    const groups = (result.body.JobGroups as { JobGroup: { JobGroupId: string }[] }).JobGroup;
    expect(groups.length === 0 ? [] : [groups[0]?.JobGroupId, groups.at(-1)?.JobGroupId]).toEqual(ids);
  });

  it.each([
    { name: 'InstanceId is missing', params: {}, status: 403, code: 'MissingParameter', names: 'InstanceId' },
    {
      name: 'the instance does not exist',
      params: { InstanceId: 'nope' },
      status: 404,
      code: 'InvalidInstanceId.NotFound',
    },
    {
      name: 'PageSize is over 100',
      params: { InstanceId: 'cv-demo-instance', PageSize: 101 },
      status: 400,
      code: 'InvalidParameter',
      names: 'PageSize',
    },
    {
      name: 'PageNumber is 0',
      params: { InstanceId: 'cv-demo-instance', PageNumber: 0 },
      status: 400,
      code: 'InvalidParameter',
      names: 'PageNumber',
    },
    {
      name: 'an unknown parameter is sent',
      params: { InstanceId: 'cv-demo-instance', Status: 'running' },
      status: 400,
      code: 'InvalidParameter',
      names: 'Status',
    },
    {
      name: 'JobGroupId is pop-core\'s "undefined"',
      params: { InstanceId: 'cv-demo-instance', JobGroupId: undefined },
      status: 400,
      code: 'InvalidParameter',
      names: 'JobGroupId',
    },
  ])('answers $code $status when $name', async ({ params, status, code, names }) => {
    // Prepare
    emu = await startEmulator();

    // Act
    const result = await describeGroups(emu, params);

    // Assess
    expect({ status: result.status, code: result.body.Code }).toEqual({ status, code });
    if (names) expect(result.body.Message).toContain(`"${names}"`);
  });
});

describe('other job-group actions on the emulator', () => {
  let emu: Emulator | undefined;
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });

  it.each([
    { action: 'StopJobGroup', group: '1', live: 'stopped' },
    { action: 'StartJobGroup', group: '4', live: 'running' },
  ])('$action sets group $group to $live', async ({ action, group, live }) => {
    // Prepare
    emu = await startEmulator();

    // Act
    const result = await popCall(popClient(emu), action, { JobGroupId: group });

    // Assess
    expect(result.status).toBe(200);
    expect(emu.jobGroup(group)?.Status).toBe(live);
  });

  it('StartJobGroup answers InvalidJobGroupId.NotFound 404 for an unknown group', async () => {
    emu = await startEmulator();
    const result = await popCall(popClient(emu), 'StartJobGroup', { JobGroupId: '999' });
    expect({ status: result.status, code: result.body.Code }).toEqual({
      status: 404,
      code: 'InvalidJobGroupId.NotFound',
    });
  });

  it.each([
    {
      action: 'DescribeAlgoLibs',
      list: 'AlgoLibs',
      item: 'AlgoLib',
      ids: ['2', '5', '7'],
      idKey: 'AlgoLibId',
    },
    {
      action: 'DescribeResourceProfiles',
      list: 'ResourceProfiles',
      item: 'ResourceProfile',
      ids: ['23', '24', '31'],
      idKey: 'ResourceProfileId',
    },
  ])('$action lists the seed', async ({ action, list, item, ids, idKey }) => {
    // Prepare
    emu = await startEmulator();

    // Act
    const result = await popCall(popClient(emu), action, { InstanceId: 'cv-demo-instance' }, 'GET');

    // Assess
    expect(result.body).toMatchObject({ TotalCount: ids.length, PageNumber: 1, PageSize: 10 });
    const items = (result.body[list] as Record<string, Record<string, string>[]>)[item]!;
    expect(items.map((entry) => entry[idKey])).toEqual(ids);
  });
});
