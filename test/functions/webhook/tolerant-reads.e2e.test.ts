import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/webhook/handler.js';
import { demoSeed, type EmulatorSeed, type JobGroupState } from '../../../local/emulator/index.js';
import { useEmulator } from '../../support/emulator.js';
import { useLogCapture } from '../../support/logs.js';
import { applyEnv, bearer, httpEvent, invoke, signed, upstreamDuring, webhookEnv } from './helpers.js';

// Groups CityVisual holds with names no caller may send (an Extension A character, full-width letters,
// a dot) and in statuses no doc lists. The doc rule for a *new* name still holds on the emulator.
const odd = (JobGroupId: string, JobGroupName: string, Status: string): JobGroupState => ({
  InstanceId: 'cv-demo-instance',
  JobGroupId,
  JobGroupName,
  AlgoLibId: '2',
  ResourceProfileId: '23',
  JobCount: 2,
  PlanedJobCount: 2,
  StreamPerJob: 4,
  Status,
  JobGroupParams: [],
});
const ODD_GROUPS = [
  odd('21', '䶮城东路口', 'running'),
  odd('22', 'Ｇａｔｅ-East', 'running'),
  odd('23', 'Gate.North', 'stopped'),
  odd('24', 'Exit-B', 'Exception'),
  odd('25', 'Exit-C', 'Creating'),
];
const seed = (): EmulatorSeed => {
  const base = demoSeed();
  return { ...base, jobGroups: [...base.jobGroups, ...ODD_GROUPS] };
};

const emu = useEmulator({ seed: seed() });
useLogCapture('file');

const post = (path: string, body = '') => signed(httpEvent('stop', { path, body }));
const get = (path: string) => bearer(httpEvent('scale', { method: 'GET', path, body: '' }));
const lastModify = () => emu.calls.filter((call) => call.action === 'ModifyJobGroup').at(-1)?.params;

describe('groups CityVisual holds with names a caller could not send', () => {
  it.each([
    ['21', '䶮城东路口'],
    ['22', 'Ｇａｔｅ-East'],
    ['23', 'Gate.North'],
  ])('scales group %s (%s), passing its name back exactly as read', async (id, name) => {
    applyEnv(webhookEnv(emu));

    const answer = await invoke(
      handler,
      post(`/v1/job-groups/${id}/scale`, JSON.stringify({ planedJobCount: 9 })),
    );

    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      changed: true,
      applied: { JobGroupName: name, PlanedJobCount: '9' },
    });
    expect(lastModify()).toMatchObject({ JobGroupId: id, JobGroupName: name, PlanedJobCount: '9' });
    expect(emu.jobGroup(id)).toMatchObject({ JobGroupName: name, PlanedJobCount: 9 });
  });

  it('stops such a group through a batch as well', async () => {
    applyEnv(webhookEnv(emu));
    const changes = [
      { jobGroupId: '21', action: 'stop' },
      { jobGroupId: '23', action: 'start' },
    ];

    const answer = await invoke(handler, post('/v1/batch', JSON.stringify({ changes })));

    expect(answer.json).toMatchObject({ succeeded: 2, failed: 0 });
    expect(emu.jobGroup('21')?.Status).toBe('stopped');
    expect(emu.jobGroup('23')?.Status).toBe('running');
  });

  it('renames to a name of any Han character the caller sends', async () => {
    applyEnv(webhookEnv(emu));

    const answer = await invoke(
      handler,
      signed(
        httpEvent('stop', {
          method: 'PATCH',
          path: '/v1/job-groups/23',
          body: JSON.stringify({ jobGroupName: '䶮城西路口' }),
        }),
      ),
    );

    expect(answer.status).toBe(200);
    expect(emu.jobGroup('23')?.JobGroupName).toBe('䶮城西路口');
  });

  it('still refuses a name the caller sends that breaks the rule, naming the field, with no write', async () => {
    applyEnv(webhookEnv(emu));

    const { result, calls } = await upstreamDuring(emu, () =>
      invoke(
        handler,
        signed(
          httpEvent('stop', {
            method: 'PATCH',
            path: '/v1/job-groups/23',
            body: JSON.stringify({ jobGroupName: 'Gate.South' }),
          }),
        ),
      ),
    );

    expect(result.status).toBe(400);
    expect(result.json.error).toMatchObject({ code: 'INVALID_INPUT', field: 'jobGroupName' });
    expect(calls).not.toContain('ModifyJobGroup');
    expect(emu.jobGroup('23')?.JobGroupName).toBe('Gate.North');
  });
});

describe('groups in a status no doc lists', () => {
  it.each([
    ['24', 'stop', 'Stopped', 'stopped'],
    ['25', 'start', 'Running', 'running'],
  ])('sends a change to group %s (%s) and lets CityVisual decide', async (id, action, Status, after) => {
    applyEnv(webhookEnv(emu));

    const answer = await invoke(handler, post(`/v1/job-groups/${id}/${action}`));

    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ changed: true, applied: { Status } });
    expect(emu.jobGroup(id)?.Status).toBe(after);
  });

  it('reports the live status as it is, and as drift from a desired Running', async () => {
    // A schedule that wants group 24 running at all times (`otherwise` only).
    const dir = mkdtempSync(path.join(tmpdir(), 'tolerant-reads-'));
    const config = path.join(dir, 'autopilot.json');
    writeFileSync(
      config,
      JSON.stringify({
        schedules: [{ name: 'always', jobGroupIds: ['24'], otherwise: { status: 'Running' } }],
      }),
    );
    applyEnv(webhookEnv(emu, { AUTOPILOT_CONFIG: config }));

    const status = await invoke(handler, get('/v1/job-groups/24/status'));

    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({
      live: { jobGroupId: '24', liveStatus: 'Exception', status: 'Exception' },
      drift: { status: { live: 'Exception', desired: 'Running' } },
    });
  });

  it('reports a group that is Creating without drift when nothing is desired of it', async () => {
    applyEnv(webhookEnv(emu));

    const status = await invoke(handler, get('/v1/job-groups/25/status'));

    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ live: { liveStatus: 'Creating', status: 'Creating' }, drift: {} });
  });
});
