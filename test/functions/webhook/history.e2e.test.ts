import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/webhook/handler.js';
import { auditLines, bearer, CI_TOKEN, httpEvent, invoke, signed, useWebhookEmulator } from './helpers.js';

const { emu, logs } = useWebhookEmulator();

const get = (path: string, query: Record<string, string> = {}) =>
  bearer(httpEvent('scale', { method: 'GET', path, body: '', query }), CI_TOKEN);

describe('GET /v1/job-groups/{id}/history', () => {
  it('lists every applied change newest first: who and which route, the fields sent, the RequestId', async () => {
    // Prepare: two changes to group 3 (one signed, one bearer), one to group 4
    const first = await invoke(handler, signed(httpEvent('scale')));
    const second = await invoke(
      handler,
      bearer(httpEvent('stop', { path: '/v1/job-groups/3/stop' }), CI_TOKEN),
    );
    await invoke(handler, signed(httpEvent('stop', { path: '/v1/job-groups/4/stop' })));
    const signer = auditLines(logs.lines)[0]?.who;

    // Act
    const answer = await invoke(handler, get('/v1/job-groups/3/history'));

    // Assess
    expect(answer.status).toBe(200);
    const records = answer.json.records as Array<Record<string, unknown>>;
    expect(records.map((r) => r.requestId)).toEqual([second.json.requestId, first.json.requestId]);
    expect(records[0]).toMatchObject({
      jobGroupId: '3',
      source: { kind: 'webhook', who: 'ci', route: 'POST /v1/job-groups/:jobGroupId/stop' },
      sent: { JobGroupId: '3', Status: 'Stopped' },
    });
    expect(records[1]).toMatchObject({ source: { who: signer }, sent: { PlanedJobCount: '12' } });
    // With live reads (the helpers' default) the previous values are there too.
    expect(records[0]?.previous).toEqual({ status: expect.any(String) });
    expect(emu.calls.length).toBeGreaterThan(0);
  });

  it('filters by since and across groups with GET /v1/history?jobGroupId=', async () => {
    await invoke(handler, signed(httpEvent('scale')));
    await invoke(handler, signed(httpEvent('start', { path: '/v1/job-groups/4/start' })));

    const all = await invoke(handler, get('/v1/history'));
    const four = await invoke(handler, get('/v1/history', { jobGroupId: '4' }));
    const future = await invoke(handler, get('/v1/history', { since: '2999-01-01T00:00:00Z' }));
    const recent = await invoke(handler, get('/v1/job-groups/3/history', { since: '1h' }));

    expect((all.json.records as unknown[]).length).toBe(2);
    expect(all.json.truncated).toBeUndefined();
    expect((four.json.records as Array<{ jobGroupId: string }>).map((r) => r.jobGroupId)).toEqual(['4']);
    expect(future.json.records).toEqual([]);
    expect((recent.json.records as unknown[]).length).toBe(1);
  });

  it.each([
    [{ since: 'yesterday' }, 'since'],
    [{ limit: '0' }, 'limit'],
    [{ sinse: '1h' }, 'query'],
  ])('refuses %j naming %s', async (query, field) => {
    const answer = await invoke(handler, get('/v1/job-groups/3/history', query));
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({ code: 'INVALID_INPUT', field });
  });

  it('needs credentials like every other route', async () => {
    const answer = await invoke(
      handler,
      httpEvent('scale', { method: 'GET', path: '/v1/history', body: '' }),
    );
    expect(answer.status).toBe(401);
  });
});
