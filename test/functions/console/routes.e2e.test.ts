import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfigFor } from '../../../shared/config/core.js';
import { CONTENT_SECURITY_POLICY } from '../../../shared/console/assets.js';
import type { OverviewResponse, PlanResponse } from '../../../shared/console/wire.js';
import { schedulesSection } from '../../../shared/schedule/section.js';
import { planEntries } from '../../../shared/status/plan.js';
import { applyEnv } from '../../support/env.js';
import { useLogCapture } from '../../support/logs.js';
import {
  CONSOLE_TOKEN,
  consoleEnv,
  DEMO_CONFIG,
  pinThroughWebhook,
  read,
  useConsoleRig,
  WEBHOOK_TOKEN,
} from './helpers.js';

// The console function over real HTTP (FC v1 events, as `npm start` serves it), against the
// CityVisual emulator and the embedded store: its page and files, the read-only JSON routes, the
// token, the headers, and how it fails.

const rig = useConsoleRig();
const logs = useLogCapture('file');

const SECURITY = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
const expectSecurityHeaders = (headers: Headers) => {
  for (const [name, value] of Object.entries(SECURITY)) expect(headers.get(name), name).toBe(value);
};

const WEEK = '?from=2026-09-29T00:00:00%2B08:00&to=2026-10-12T00:00:00%2B08:00';

describe('the page and its files', () => {
  it('serves the page with a strict CSP: only its own script and style, no inline code, no other origin', async () => {
    const page = await read(rig.console, '/', { token: null });

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(page.headers);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    // No inline script or style, nothing from another origin: every reference is relative.
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=/i);
    const refs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThanOrEqual(3);
    for (const ref of refs) expect(ref).toMatch(/^(assets\/|favicon\.svg$)/);
  });

  it('serves its script and style as named in the page, pinned by integrity hashes, cached for good', async () => {
    const page = await read(rig.console, '/', { token: null });
    const script = /<script src="([^"]+)" integrity="([^"]+)"/.exec(page.text);
    const style = /<link rel="stylesheet" href="([^"]+)" integrity="([^"]+)"/.exec(page.text);

    for (const [ref, integrity, type] of [
      [script?.[1], script?.[2], 'text/javascript; charset=utf-8'],
      [style?.[1], style?.[2], 'text/css; charset=utf-8'],
    ] as const) {
      const response = await fetch(`${rig.console.url}/${ref}`);
      const body = Buffer.from(await response.arrayBuffer());
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(integrity).toBe(`sha384-${createHash('sha384').update(body).digest('base64')}`);
    }
    expect(page.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers HEAD like GET without a body', async () => {
    const head = await read(rig.console, '/', { method: 'HEAD', token: null });
    const plan = await read(rig.console, '/v1/plan', { method: 'HEAD' });

    expect([head.status, head.text]).toEqual([200, '']);
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(head.headers);
    expect([plan.status, plan.text]).toEqual([200, '']);
    expect(plan.headers.get('cache-control')).toBe('no-store');
  });

  it('answers an unknown file with a 404 JSON error, with the same headers', async () => {
    const missing = await read(rig.console, '/assets/console-000000000000.js', { token: null });

    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
    expectSecurityHeaders(missing.headers);
  });
});

describe('GET and HEAD only', () => {
  it.each([
    ['POST', '/'],
    ['PUT', '/v1/plan'],
    ['PATCH', '/v1/overview'],
    ['DELETE', '/v1/plan'],
    ['POST', '/assets/console.js'],
    ['OPTIONS', '/v1/overview'],
  ])('%s %s → 405 with Allow: GET, HEAD', async (method, urlPath) => {
    const answer = await read(rig.console, urlPath, { method });

    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, HEAD');
    expect(answer.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
    expectSecurityHeaders(answer.headers);
  });
});

describe('the read token', () => {
  it.each([
    ['no token', null, 'Send a console token'],
    ['a wrong token', 'tok_not_a_console_token_at_all_0123456789', 'not one of CONSOLE_TOKENS'],
    ['a webhook token', WEBHOOK_TOKEN, 'not one of CONSOLE_TOKENS'],
  ])('refuses %s with 401 on every data route', async (_, token, message) => {
    for (const route of ['/v1/plan', '/v1/overview']) {
      const answer = await read(rig.console, route, { token });

      expect(answer.status, route).toBe(401);
      expect(answer.json()).toMatchObject({
        error: { code: 'UNAUTHORIZED', message: expect.stringContaining(message) },
      });
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expectSecurityHeaders(answer.headers);
    }
  });

  it('checks the token before the query: a caller without one learns nothing of the inputs', async () => {
    const answer = await read(rig.console, '/v1/plan?from=yesterday', { token: null });

    expect(answer.status).toBe(401);
  });

  it.each([
    ['too short', 'ops=short-token', 'CONSOLE_TOKENS entry 0 is 11 characters; a token has at least 32'],
    ['a name without a token', `ops=${CONSOLE_TOKEN},ci=`, 'CONSOLE_TOKENS entry 1 has a name but no token'],
    ['unset', undefined, 'CONSOLE_TOKENS is not set'],
  ])(
    'fails closed when CONSOLE_TOKENS is %s: 500 CONFIG_INVALID naming it, /healthz 503',
    async (_, tokens, message) => {
      applyEnv(consoleEnv(rig.emu, { CONSOLE_TOKENS: tokens }));

      const answer = await read(rig.console, '/v1/overview');
      const health = await read(rig.console, '/healthz', { token: null });

      expect(answer.status).toBe(500);
      expect(answer.json()).toMatchObject({
        error: { code: 'CONFIG_INVALID', field: 'CONSOLE_TOKENS', message: expect.stringContaining(message) },
      });
      expect(health.status).toBe(503);
      expect(health.json()).toMatchObject({ status: 'unavailable', error: { code: 'CONFIG_INVALID' } });
      // The value is never shown: not in the answer, not in the log.
      expect(answer.text).not.toContain('short-token');
      expect(logs.raw.join('\n')).not.toContain('short-token');
      // The page itself is still served (it holds no secret) and shows the error it is answered.
      expect((await read(rig.console, '/', { token: null })).status).toBe(200);
    },
  );

  it('never writes the token to the log', async () => {
    await read(rig.console, '/v1/overview');
    await read(rig.console, '/v1/plan?from=nope');

    expect(logs.raw.join('\n')).not.toContain(CONSOLE_TOKEN);
  });
});

describe('GET /v1/plan', () => {
  const config = () => loadConfigFor([schedulesSection], DEMO_CONFIG, process.cwd());

  it('answers planEntries of the demo config with the holds, lanes, bands and zone facts', async () => {
    const { hold } = await pinThroughWebhook(rig.webhook, '3', {
      kind: 'pin',
      set: { planedJobCount: 30 },
      for: '4h',
      reason: 'festival',
    });
    const answer = await read(rig.console, '/v1/plan');
    const plan = answer.json() as PlanResponse;

    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expectSecurityHeaders(answer.headers);
    const from = new Date(plan.from);
    const to = new Date(plan.to);
    // The week around now: a day back, six ahead.
    expect(to.getTime() - from.getTime()).toBe(7 * 86_400_000);
    expect(Math.abs(Date.parse(plan.at) - from.getTime() - 86_400_000)).toBeLessThan(1000);
    const holds = plan.holds.map(({ band: _band, secondsLeft: _left, ...rest }) => rest);
    expect(plan.view).toBe('full');
    expect(plan.entries).toEqual(JSON.parse(JSON.stringify(planEntries(config(), holds as never, from, to))));
    expect(plan.lanes.map((lane) => lane.jobGroupId)).toEqual(['1', '2', '3', '7', '8']);
    const lane3 = plan.lanes.find((lane) => lane.jobGroupId === '3');
    // Groups 1 and 2 share their schedule's track; group 3, pinned, has its own.
    expect(plan.lanes.map((lane) => lane.track)).toEqual([
      'schedule:downtown-crossroads',
      'schedule:downtown-crossroads',
      'group:3',
      'schedule:parking-night-shift',
      'none',
    ]);
    expect(
      plan.tracks[lane3?.track ?? '']?.steps.some(
        (s) => s.target.planedJobCount === 30 && s.decidedBy.planedJobCount?.by === 'hold',
      ),
    ).toBe(true);
    expect(plan.holds).toEqual([
      expect.objectContaining({
        id: hold.id,
        kind: 'pin',
        reason: 'festival',
        band: { from: expect.any(String), until: hold.until },
      }),
    ]);
    expect(plan.zones.map((zone) => zone.zone)).toEqual(['Asia/Shanghai']);
    expect(plan.zones[0]?.midnights.length).toBeGreaterThanOrEqual(7);
  });

  it('marks the National Day holidays and the make-up Saturday of the demo calendar', async () => {
    const plan = (await read(rig.console, `/v1/plan${WEEK}`)).json() as PlanResponse;

    const marks = (plan.entries ?? []).flatMap((e) =>
      e.kind !== 'change' && e.jobGroupId === '1' ? [{ kind: e.kind, date: e.date }] : [],
    );
    expect(marks.map((m) => `${m.kind} ${m.date}`)).toEqual([
      ...['01', '02', '03', '04', '05', '06', '07'].map((d) => `holiday 2026-10-${d}`),
      'workday 2026-10-10',
    ]);
  });

  it('answers the lanes view without the per-group entries, the marks on the shared tracks', async () => {
    const full = (await read(rig.console, `/v1/plan${WEEK}`)).json() as PlanResponse;
    const lanes = (await read(rig.console, `/v1/plan${WEEK}&view=lanes`)).json() as PlanResponse;

    expect(lanes.view).toBe('lanes');
    expect(lanes.entries).toBeUndefined();
    expect(lanes.tracks).toEqual(full.tracks);
    expect(lanes.lanes).toEqual(full.lanes);
    expect(lanes.tracks['schedule:downtown-crossroads']?.days.map((d) => `${d.kind} ${d.date}`)).toEqual([
      ...['01', '02', '03', '04', '05', '06', '07'].map((d) => `holiday 2026-10-${d}`),
      'workday 2026-10-10',
    ]);
  });

  it.each([
    ['from=yesterday', 'from'],
    ['to=2026-10-01', 'to'],
    ['from=2026-10-02T00:00:00Z&to=2026-10-01T00:00:00Z', 'to'],
    ['from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'to'],
    ['jobGroupId=a%2Fb', 'jobGroupId'],
    ['view=table', 'view'],
    ['form=2026-10-01T00:00:00Z', 'query'],
  ])('refuses ?%s with 400 naming %s', async (query, field) => {
    const answer = await read(rig.console, `/v1/plan?${query}`);

    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ error: { code: 'INVALID_INPUT', field } });
    expect((answer.json() as { error: { message: string } }).error.message.startsWith(`${field}:`)).toBe(
      true,
    );
  });

  it('reads only the group asked for with ?jobGroupId', async () => {
    const plan = (await read(rig.console, `/v1/plan${WEEK}&jobGroupId=7`)).json() as PlanResponse;

    expect(plan.lanes.map((lane) => lane.jobGroupId)).toEqual(['7']);
    expect(new Set(plan.entries?.map((e) => e.jobGroupId))).toEqual(new Set(['7']));
  });
});

describe('GET /v1/overview', () => {
  it('answers every group at once, live state read in one page of DescribeJobGroups', async () => {
    const answer = await read(rig.console, '/v1/overview');
    const overview = answer.json() as OverviewResponse;

    expect(answer.status).toBe(200);
    expect(overview.liveReads).toBe(true);
    expect(overview.liveError).toBeNull();
    expect(overview.groups.map((g) => g.jobGroupId)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    const calls = rig.emu.calls.map((call) => call.action);
    expect(calls).toEqual(['DescribeJobGroups']);
    expect(rig.emu.calls[0]?.params).toMatchObject({ PageNumber: '1', PageSize: '100' });
    const group3 = overview.groups.find((g) => g.jobGroupId === '3');
    expect(group3).toMatchObject({
      jobGroupName: 'JobGroupName',
      schedule: 'downtown-crossroads',
      zone: 'Asia/Shanghai',
    });
    expect(group3?.live?.planedJobCount).toBe(10);
    expect(group3?.drift).toEqual(expect.any(Object));
  });

  it('shows what decides a group now, its drift and its last action', async () => {
    await pinThroughWebhook(rig.webhook, '4', {
      kind: 'pin',
      set: { planedJobCount: 9 },
      for: '2h',
      reason: 'load test',
    });
    // The pin was applied (live 9); someone then puts the group back by hand, in CityVisual's console.
    expect(rig.emu.jobGroup('4')?.PlanedJobCount).toBe(9);
    rig.emu.reset();

    const overview = (await read(rig.console, '/v1/overview')).json() as OverviewResponse;
    const group4 = overview.groups.find((g) => g.jobGroupId === '4');

    expect(group4?.desired.decidedBy.planedJobCount).toMatchObject({ by: 'hold', kind: 'pin' });
    expect(group4?.drift).toEqual({ planedJobCount: { live: 6, desired: 9 } });
    expect(group4?.holds).toEqual([
      expect.objectContaining({ reason: 'load test', secondsLeft: expect.any(Number) }),
    ]);
    // The newest history record: the pin's own write, or its hold record (made in the same ms).
    expect(group4?.lastAction).toMatchObject({ jobGroupId: '4', source: { kind: 'webhook', who: 'ci' } });
  });

  it('still answers when the live read fails, saying so, without live state or drift', async () => {
    rig.emu.setFaults({ errorRate: 1 });

    const overview = (await read(rig.console, '/v1/overview')).json() as OverviewResponse;

    expect(overview.liveError).toMatchObject({ code: expect.any(String) });
    expect(overview.groups.every((g) => g.live === null && g.drift === null)).toBe(true);
    expect(overview.groups.map((g) => g.jobGroupId)).toEqual(['1', '2', '3', '7', '8']);
  });

  it('refuses a query parameter with 400', async () => {
    const answer = await read(rig.console, '/v1/overview?jobGroupId=3');

    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'query' } });
  });
});

describe('a store that cannot be read', () => {
  it('fails closed: 503 STATE_UNAVAILABLE with Retry-After on both data routes', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    applyEnv(
      consoleEnv(rig.emu, {
        STATE_STORE: 'tablestore',
        TABLESTORE_INSTANCE: 'autopilot',
        TABLESTORE_ENDPOINT: `http://127.0.0.1:${closed}`,
      }),
    );

    for (const route of ['/v1/plan', '/v1/overview']) {
      const answer = await read(rig.console, route);

      expect(answer.status, route).toBe(503);
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(answer.json()).toMatchObject({ error: { code: 'STATE_UNAVAILABLE' } });
      expectSecurityHeaders(answer.headers);
    }
  });
});
