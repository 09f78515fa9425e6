import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../shared/history/index.js';
import {
  buildDigest,
  type DigestInput,
  digestFor,
  plain,
  renderJson,
  renderMarkdown,
} from '../../../shared/notify/index.js';

const AT = '2026-06-01T00:00:00.000Z';
const origin = {
  kind: 'tick',
  title: 'Scheduler reconcile tick (every-5m)',
  requestId: 'req-1',
  at: Date.parse(AT),
} as const;

const applied = (
  jobGroupId: string,
  set: HistoryEntry['set'],
  previous?: Record<string, unknown>,
): HistoryEntry => ({
  at: AT,
  jobGroupId,
  source: { kind: 'schedule', schedule: 'downtown', window: 'weekday-peak' },
  sent: {},
  set,
  ...(previous && { previous }),
  requestId: `cv-${jobGroupId}`,
});

const hold = (event: 'created' | 'extended' | 'released' | 'expired', reason = ''): HistoryEntry => ({
  at: AT,
  jobGroupId: '3',
  source: { kind: 'webhook', who: 'ops-bot', route: 'POST /v1/job-groups/:jobGroupId/holds' },
  sent: {},
  set: { planedJobCount: 30 },
  requestId: 'req-1',
  hold: {
    event,
    id: '3~a1b2c3d4e5f6',
    kind: 'pin',
    until: '2026-06-01T04:00:00.000Z',
    reason,
    who: 'ops-bot',
  },
});

const render = (input: DigestInput, maxBytes = 16_000) =>
  renderMarkdown(buildDigest(input), 'dingtalk', { maxBytes, timezone: 'Asia/Shanghai' });

describe('buildDigest', () => {
  it('shows from → to where the live state was read, only the target where it was not, and who decided', () => {
    const text = render({
      origin,
      entries: [
        applied(
          '1',
          { planedJobCount: 10, params: { ES_ENABLE: true } },
          { planedJobCount: 2, params: { ES_ENABLE: false } },
        ),
        applied('2', { status: 'Stopped' }),
      ],
      failures: [],
    }).text;

    expect(text).toContain(
      '- **1** planedJobCount 2 → 10, params.ES_ENABLE false → true · schedule downtown (weekday-peak)',
    );
    expect(text).toContain('- **2** status → Stopped · schedule downtown (weekday-peak)');
    expect(text).toContain('Scheduler reconcile tick (every-5m) · 2026-06-01 08:00 Asia/Shanghai');
  });

  it('groups failures by code with the error table advice, and leaves caller mistakes out', () => {
    const digest = buildDigest({
      origin,
      entries: [],
      failures: [
        { jobGroupId: '4', code: 'DEADLINE_EXCEEDED' },
        { jobGroupId: '9', code: 'InvalidJobGroupId.NotFound' },
        { jobGroupId: '5', code: 'DEADLINE_EXCEEDED' },
        { jobGroupId: '5', code: 'DEADLINE_EXCEEDED' },
        { jobGroupId: '6', code: 'INVALID_INPUT' },
        { code: 'UNAUTHORIZED' },
      ],
    });

    expect(digest.failed).toEqual([
      {
        code: 'DEADLINE_EXCEEDED',
        jobGroupIds: ['4', '5'],
        hint: 'The change did not finish before the invocation deadline; it will be retried or reported.',
      },
      {
        code: 'InvalidJobGroupId.NotFound',
        jobGroupIds: ['9'],
        hint: 'The job group does not exist in CityVisual; check the id.',
      },
    ]);
  });

  it('reports holds created, released and expired, not extended', () => {
    const digest = buildDigest({
      origin,
      entries: [hold('created', 'maintenance'), hold('extended'), hold('released'), hold('expired')],
      failures: [],
    });
    const text = renderMarkdown(digest, 'dingtalk', { maxBytes: 16_000, timezone: 'Asia/Shanghai' }).text;

    expect(digest.holds.map((item) => item.event)).toEqual(['created', 'released', 'expired']);
    expect(text).toContain(
      '- **3** pin planedJobCount=30 created, until 2026-06-01 12:00 · ops-bot via POST /v1/job-groups/:jobGroupId/holds — "maintenance"',
    );
    expect(text).toContain('- **3** pin planedJobCount=30 expired at 2026-06-01 12:00');
  });

  it('a failure of the whole invocation reaches every channel, group filters or not', () => {
    const digest = buildDigest({
      origin,
      entries: [applied('1', { planedJobCount: 3 })],
      failures: [{ code: 'STATE_UNAVAILABLE' }],
    });

    const part = digestFor(digest, { jobGroupIds: ['7'] });

    expect(part?.applied).toEqual([]);
    expect(part?.failed).toMatchObject([{ code: 'STATE_UNAVAILABLE', jobGroupIds: [] }]);
    expect(renderMarkdown(part!, 'wecom', { maxBytes: 4_000, timezone: 'UTC' }).text).toContain(
      '`STATE_UNAVAILABLE` (1): the whole invocation:',
    );
  });
});

describe('cut to size', () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => applied(String(i + 1), { planedJobCount: i }));

  it('cuts a digest too long for the channel with "…and N more", failures kept first', () => {
    const input = { origin, entries: many(300), failures: [{ jobGroupId: '999', code: 'Forbidden.RAM' }] };

    const out = render(input, 2_000);

    expect(Buffer.byteLength(out.text)).toBeLessThanOrEqual(2_000);
    expect(out.text).toContain('`Forbidden.RAM` (1): 999');
    expect(out.shown + out.omitted).toBe(301);
    expect(out.omitted).toBeGreaterThan(250);
    expect(out.text).toContain(`…and ${out.omitted} more`);
    // The last change shown is followed by the count, and then only the request line.
    expect(out.text.trimEnd().split('\n\n').slice(-2)).toEqual([`…and ${out.omitted} more`, 'request req-1']);
  });

  it('says nothing about more when everything fits', () => {
    const out = render({ origin, entries: many(3), failures: [] });

    expect(out.omitted).toBe(0);
    expect(out.text).not.toContain('more');
  });

  it('fits WeCom 4096-byte markdown with Chinese names (bytes, not characters)', () => {
    const entries = many(200).map((entry) => ({
      ...entry,
      source: { kind: 'schedule' as const, schedule: '城东路口夜间排班', window: '夜间' },
    }));

    const out = renderMarkdown(buildDigest({ origin, entries, failures: [] }), 'wecom', {
      maxBytes: 4_000,
      timezone: 'Asia/Shanghai',
    });

    expect(Buffer.byteLength(out.text)).toBeLessThanOrEqual(4_000);
    expect(out.text).toContain(`…and ${out.omitted} more`);
  });

  it('cuts the webhook JSON from the end and counts what it left out', () => {
    const out = renderJson(
      buildDigest({ origin, entries: many(500), failures: [{ jobGroupId: '1', code: 'Throttling' }] }),
      {
        maxBytes: 8_000,
      },
    );
    const body = JSON.parse(out.body);

    expect(Buffer.byteLength(out.body)).toBeLessThanOrEqual(8_000);
    expect(body.failed).toHaveLength(1);
    expect(body.applied.length + body.omitted).toBe(500);
    expect(body.omitted).toBe(out.omitted);
    expect(body.counts).toEqual({ applied: 500, failed: 1, holds: 0 });
  });
});

describe('plain', () => {
  it.each([
    ['<at id=all></at> ping', '&lt;at id=all&gt;&lt;/at&gt; ping'],
    ['[click](https://evil.example)', '\\[click\\](https://evil.example)'],
    ['**bold** _it_ `code`', '\\*\\*bold\\*\\* \\_it\\_ \\`code\\`'],
    ['line one\n# heading', 'line one # heading'],
  ])('makes %j inert', (input, expected) => {
    expect(plain(input)).toBe(expected);
  });

  it('cuts long text to 200 characters', () => {
    expect(plain('x'.repeat(500))).toHaveLength(200);
  });

  it('a hold reason cannot @everyone in the rendered message', () => {
    const text = render({
      origin,
      entries: [hold('created', '<at user_id="all">所有人</at>')],
      failures: [],
    }).text;

    expect(text).not.toContain('<at');
  });
});
