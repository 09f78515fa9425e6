import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../shared/history/index.js';
import { type DigestInput, NotifySettingsSchema, sendNotifications } from '../../../shared/notify/index.js';
import { KEYS } from '../../../shared/state/keys.js';
import { createMemoryStore } from '../../../shared/state/memory.js';
import { useLogCapture } from '../../support/logs.js';
import { ROBOT_CHANNELS, robotNeedles, useRobots } from '../../support/robots.js';

const robots = useRobots();
const logs = useLogCapture('test');

const AT = '2026-06-01T00:00:00.000Z';

function change(
  jobGroupId: string,
  set: HistoryEntry['set'],
  previous?: Record<string, unknown>,
): HistoryEntry {
  return {
    at: AT,
    jobGroupId,
    source: { kind: 'schedule', schedule: 'downtown', window: 'weekday-peak' },
    sent: {},
    set,
    ...(previous && { previous }),
    requestId: `cv-${jobGroupId}`,
  };
}

const INPUT: DigestInput = {
  origin: {
    kind: 'tick',
    title: 'Scheduler reconcile tick (every-5m)',
    requestId: 'req-1',
    at: Date.parse(AT),
  },
  entries: [change('3', { planedJobCount: 20, status: 'Running' }, { planedJobCount: 2, status: 'Stopped' })],
  failures: [{ jobGroupId: '9', code: 'InvalidJobGroupId.NotFound' }],
};

function settings(channels: unknown[], timeoutMs?: number) {
  return NotifySettingsSchema.parse({ channels, ...(timeoutMs !== undefined && { timeoutMs }) });
}

const deps = (overrides: Record<string, unknown> = {}) => ({
  settings: settings([...ROBOT_CHANNELS]),
  timezone: 'Asia/Shanghai',
  deadline: Date.now() + 10_000,
  env: robots.env,
  store: createMemoryStore(),
  ...overrides,
});

describe('sendNotifications over real HTTP to the stand-ins', () => {
  it('sends one signed message to each channel, each in its own format, and every robot verifies it', async () => {
    // Act
    const report = await sendNotifications(INPUT, deps());

    // Assess
    expect(report).toMatchObject({ sent: 4, failed: 0, skipped: 0 });
    expect(robots.dingtalk.messages).toHaveLength(1);
    expect(robots.feishu.messages).toHaveLength(1);
    expect(robots.wecom.messages).toHaveLength(1);
    expect(robots.receiver.messages).toHaveLength(1);
    const ding = robots.dingtalk.messages[0]!.body as {
      msgtype: string;
      markdown: { title: string; text: string };
    };
    expect(ding.msgtype).toBe('markdown');
    expect(ding.markdown.title).toBe('jobgroup-autopilot: 1 changed, 1 failed');
    expect(ding.markdown.text).toContain(
      '**3** planedJobCount 2 → 20, status Stopped → Running · schedule downtown (weekday-peak)',
    );
    expect(ding.markdown.text).toContain(
      '`InvalidJobGroupId.NotFound` (1): 9: The job group does not exist in CityVisual; check the id.',
    );
    const card = robots.feishu.messages[0]!.body as {
      msg_type: string;
      card: { header: { template: string } };
    };
    expect(card.msg_type).toBe('interactive');
    expect(card.card.header.template).toBe('red');
    expect((robots.wecom.messages[0]!.body as { markdown: { content: string } }).markdown.content).toContain(
      '**3** planedJobCount 2 → 20',
    );
    expect(robots.receiver.messages[0]!.body).toMatchObject({
      type: 'autopilot.digest',
      counts: { applied: 1, failed: 1, holds: 0 },
      applied: [
        {
          jobGroupId: '3',
          fields: [
            { field: 'planedJobCount', from: 2, to: 20 },
            { field: 'status', from: 'Stopped', to: 'Running' },
          ],
        },
      ],
      failed: [{ code: 'InvalidJobGroupId.NotFound', jobGroupIds: ['9'] }],
      omitted: 0,
    });
  });

  it('signs every attempt from the bare URL: a configured URL carrying an old timestamp and sign still verifies', async () => {
    const stale = `${robots.dingtalk.url}&timestamp=1&sign=stale`;

    const report = await sendNotifications(
      INPUT,
      deps({ env: { ...robots.env, NOTIFY_DINGTALK_URL: stale } }),
    );

    expect(report?.channels.find((c) => c.channel === 'ops-dingtalk')).toMatchObject({ status: 'sent' });
    const query = robots.dingtalk.messages[0]!.query;
    expect(query.sign).not.toBe('stale');
    expect(robots.dingtalk.messages[0]!.path).toBe('/robot/send');
  });

  it.each([
    ['DingTalk with the wrong secret', 'ops-dingtalk', { NOTIFY_DINGTALK_SECRET: 'SEC-wrong' }, 310000],
    ['Feishu with the wrong secret', 'ops-feishu', { NOTIFY_FEISHU_SECRET: 'wrong' }, 19021],
    ['DingTalk with an unknown token', 'ops-dingtalk', { NOTIFY_DINGTALK_URL: 'dingtalk-unknown' }, 300001],
    ['WeCom with an unknown key', 'ops-wecom', { NOTIFY_WECOM_URL: 'wecom-unknown' }, 93000],
  ] as const)(
    'reports %s as NOTIFY_REJECTED with the robot code, without a retry',
    async (_, name, env, code) => {
      const overrides: Record<string, string> = { ...env };
      if (overrides.NOTIFY_DINGTALK_URL === 'dingtalk-unknown')
        overrides.NOTIFY_DINGTALK_URL = robots.dingtalk.url.replace(
          /access_token=[^&]+/,
          'access_token=nope',
        );
      if (overrides.NOTIFY_WECOM_URL === 'wecom-unknown')
        overrides.NOTIFY_WECOM_URL = robots.wecom.url.replace(/key=[^&]+/, 'key=nope');
      const channel = ROBOT_CHANNELS.find((c) => c.name === name);

      const report = await sendNotifications(
        INPUT,
        deps({ settings: settings([channel]), env: { ...robots.env, ...overrides } }),
      );

      expect(report).toMatchObject({ sent: 0, failed: 1 });
      expect(report?.channels[0]).toMatchObject({
        status: 'failed',
        code: 'NOTIFY_REJECTED',
        channelCode: code,
        attempts: 1,
      });
      const warn = logs.lines.find((line) => line.msg === 'notification not sent');
      expect(warn).toMatchObject({
        level: 'warn',
        channel: name,
        code: 'NOTIFY_REJECTED',
        channelCode: code,
      });
    },
  );

  it('retries once after a 5xx and sends', async () => {
    robots.receiver.setFault({ kind: 'answer', status: 502, body: { error: 'bad gateway' } }, 1);

    const report = await sendNotifications(INPUT, deps({ settings: settings([ROBOT_CHANNELS[3]]) }));

    expect(report?.channels[0]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(robots.receiver.requests()).toBe(2);
    // The retry is the same message: a receiver can drop a copy by its webhook-id.
    expect(robots.receiver.messages).toHaveLength(1);
  });

  it('retries once after DingTalk answers errcode -1 (busy), then gives up with NOTIFY_UNAVAILABLE', async () => {
    robots.dingtalk.setFault({ kind: 'answer', status: 200, body: { errcode: -1, errmsg: '系统繁忙' } });

    const report = await sendNotifications(INPUT, deps({ settings: settings([ROBOT_CHANNELS[0]]) }));

    expect(report?.channels[0]).toMatchObject({
      status: 'failed',
      code: 'NOTIFY_UNAVAILABLE',
      channelCode: -1,
      attempts: 2,
    });
    expect(robots.dingtalk.requests()).toBe(2);
  });

  it('gives a hanging channel notify.timeoutMs in all, while the other channels are sent', async () => {
    robots.feishu.setFault({ kind: 'hang' });
    const started = Date.now();

    const report = await sendNotifications(INPUT, deps({ settings: settings([...ROBOT_CHANNELS], 600) }));

    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(1_400);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(report).toMatchObject({ sent: 3, failed: 1 });
    expect(report?.channels.find((c) => c.channel === 'ops-feishu')).toMatchObject({
      status: 'failed',
      code: 'NOTIFY_UNAVAILABLE',
      attempts: 1,
    });
  });

  it('never sends past the deadline: with none left, every channel is skipped and nothing goes out', async () => {
    const report = await sendNotifications(INPUT, deps({ deadline: Date.now() + 20 }));

    expect(report).toMatchObject({ sent: 0, skipped: 4 });
    expect(report?.channels.every((c) => c.code === 'DEADLINE_EXCEEDED')).toBe(true);
    expect(robots.dingtalk.requests() + robots.receiver.requests()).toBe(0);
  });

  it('keeps the budget in the store: past perMinute a digest is skipped, and the next one says so', async () => {
    const store = createMemoryStore();
    const limited = settings([{ ...ROBOT_CHANNELS[0], perMinute: 2 }]);
    const clock = { now: Date.now() };
    const run = () =>
      sendNotifications(
        INPUT,
        deps({ settings: limited, store, now: () => clock.now, deadline: Number.MAX_SAFE_INTEGER }),
      );

    const first = await run();
    const second = await run();
    const third = await run();
    clock.now += 61_000;
    const fourth = await run();

    expect([first, second, third, fourth].map((r) => r?.channels[0]?.status)).toEqual([
      'sent',
      'sent',
      'skipped',
      'sent',
    ]);
    expect(third?.channels[0]).toMatchObject({ code: 'NOTIFY_RATE_LIMITED', attempts: 0 });
    expect(robots.dingtalk.messages).toHaveLength(3);
    expect((robots.dingtalk.messages[2]!.body as { markdown: { text: string } }).markdown.text).toContain(
      '(1 earlier notification was held back by the rate limit',
    );
    expect(await store.get(KEYS.notifyBudget('ops-dingtalk'))).toBeDefined();
  });

  it('after 130101 send too fast, leaves the robot alone for 10 minutes', async () => {
    const store = createMemoryStore();
    const clock = { now: Date.now() };
    robots.dingtalk.setFault(
      { kind: 'answer', status: 200, body: { errcode: 130101, errmsg: 'send too fast' } },
      1,
    );
    const run = () =>
      sendNotifications(
        INPUT,
        deps({
          settings: settings([ROBOT_CHANNELS[0]]),
          store,
          now: () => clock.now,
          deadline: Number.MAX_SAFE_INTEGER,
        }),
      );

    const throttled = await run();
    clock.now += 9 * 60_000;
    const during = await run();
    clock.now += 2 * 60_000;
    const after = await run();

    expect(throttled?.channels[0]).toMatchObject({
      status: 'failed',
      code: 'NOTIFY_RATE_LIMITED',
      channelCode: 130101,
    });
    expect(during?.channels[0]).toMatchObject({ status: 'skipped', code: 'NOTIFY_RATE_LIMITED' });
    expect(after?.channels[0]).toMatchObject({ status: 'sent' });
    expect(robots.dingtalk.requests()).toBe(2);
  });

  it('leaves a webhook receiver without perMinute alone after its 429, then says what it held back', async () => {
    const store = createMemoryStore();
    const clock = { now: Date.now() };
    robots.receiver.setFault({ kind: 'answer', status: 429, body: { error: 'slow down' } }, 1);
    const run = () =>
      sendNotifications(
        INPUT,
        deps({
          settings: settings([ROBOT_CHANNELS[3]]),
          store,
          now: () => clock.now,
          deadline: Number.MAX_SAFE_INTEGER,
        }),
      );

    const throttled = await run();
    clock.now += 30_000;
    const during = await run();
    clock.now += 31_000;
    const after = await run();
    const next = await run();

    expect(throttled?.channels[0]).toMatchObject({ status: 'failed', code: 'NOTIFY_RATE_LIMITED' });
    expect(during?.channels[0]).toMatchObject({
      status: 'skipped',
      code: 'NOTIFY_RATE_LIMITED',
      attempts: 0,
    });
    expect([after, next].map((r) => r?.channels[0]?.status)).toEqual(['sent', 'sent']);
    expect(robots.receiver.requests()).toBe(3);
    expect(robots.receiver.messages.map((m) => (m.body as { heldBack: number }).heldBack)).toEqual([1, 0]);
  });

  it('sends nothing and says nothing when no channel has anything in the digest', async () => {
    const report = await sendNotifications({ ...INPUT, failures: [], entries: [] }, deps());

    expect(report).toBeUndefined();
    expect(robots.dingtalk.requests()).toBe(0);
  });

  it('follows on and jobGroupIds: a channel for failures of group 7 only gets nothing here', async () => {
    const report = await sendNotifications(
      INPUT,
      deps({
        settings: settings([
          { ...ROBOT_CHANNELS[0], on: ['failed'], jobGroupIds: ['7'] },
          { ...ROBOT_CHANNELS[3], on: ['applied'] },
        ]),
      }),
    );

    expect(report?.channels.map((c) => c.channel)).toEqual(['ops-hook']);
    expect(robots.receiver.messages[0]!.body).toMatchObject({ counts: { applied: 1, failed: 0 } });
  });

  it('leaves a channel whose URL variable is unset or empty off: not tried, not counted, said once', async () => {
    const only = settings([ROBOT_CHANNELS[0], ROBOT_CHANNELS[3]]);

    const first = await sendNotifications(
      INPUT,
      deps({ settings: only, env: { ...robots.env, NOTIFY_DINGTALK_URL: '' } }),
    );
    const second = await sendNotifications(
      INPUT,
      deps({ settings: only, env: { ...robots.env, NOTIFY_DINGTALK_URL: '' } }),
    );
    const none = await sendNotifications(INPUT, deps({ settings: settings([ROBOT_CHANNELS[0]]), env: {} }));

    expect(first?.channels.map((c) => c.channel)).toEqual(['ops-hook']);
    expect(second?.channels.map((c) => c.channel)).toEqual(['ops-hook']);
    expect(none).toBeUndefined();
    expect(robots.dingtalk.requests()).toBe(0);
    expect(logs.lines.filter((line) => line.msg === 'notification channel off')).toMatchObject([
      {
        level: 'warn',
        channel: 'ops-dingtalk',
        code: 'NOTIFY_CHANNEL_INVALID',
        problem: expect.stringContaining('NOTIFY_DINGTALK_URL is not set'),
      },
    ]);
  });

  it.each([
    ['not https', { NOTIFY_DINGTALK_URL: 'http://robots.example.com/robot/send?access_token=abc' }, 'failed'],
    [
      'secret unset',
      {
        NOTIFY_DINGTALK_URL: 'https://oapi.example.com/robot/send?access_token=abc',
        NOTIFY_DINGTALK_SECRET: '',
      },
      'failed',
    ],
  ] as const)(
    'treats a channel whose variables are %s as NOTIFY_CHANNEL_INVALID, naming the variable only',
    async (_, env, status) => {
      const report = await sendNotifications(INPUT, deps({ settings: settings([ROBOT_CHANNELS[0]]), env }));

      expect(report?.channels[0]).toMatchObject({ status, code: 'NOTIFY_CHANNEL_INVALID', attempts: 0 });
      const line = logs.raw.join('\n');
      expect(line).toContain('NOTIFY_DINGTALK');
      expect(line).not.toContain('access_token=abc');
    },
  );

  it('refuses a webhook channel whose secret is not a whsec_ secret', async () => {
    const report = await sendNotifications(
      INPUT,
      deps({
        settings: settings([ROBOT_CHANNELS[3]]),
        env: { ...robots.env, NOTIFY_HOOK_SECRET: 'plain-password' },
      }),
    );

    expect(report?.channels[0]).toMatchObject({ status: 'failed', code: 'NOTIFY_CHANNEL_INVALID' });
    expect(logs.raw.join('\n')).not.toContain('plain-password');
  });

  it('never writes a token, key or secret of a channel into a log line, whatever happens', async () => {
    process.env.LOG_LEVEL = 'debug';
    try {
      await sendNotifications(INPUT, deps());
      robots.dingtalk.setFault({ kind: 'reset' });
      robots.feishu.setFault({ kind: 'answer', status: 500, body: {} });
      robots.wecom.setFault({ kind: 'hang' });
      await sendNotifications(INPUT, deps({ settings: settings([...ROBOT_CHANNELS], 400) }));
      await sendNotifications(
        INPUT,
        deps({
          env: { ...robots.env, NOTIFY_DINGTALK_SECRET: 'SEC-wrong', NOTIFY_HOOK_SECRET: 'not-whsec' },
        }),
      );
    } finally {
      delete process.env.LOG_LEVEL;
    }

    expect(logs.raw.length).toBeGreaterThan(5);
    const haystack = logs.raw.join('\n');
    for (const needle of [...robotNeedles(), 'SEC-wrong', 'not-whsec'])
      expect(haystack).not.toContain(needle);
    expect(haystack).not.toMatch(/access_token|key=|sign=/);
  });
});
