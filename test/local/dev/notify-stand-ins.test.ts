import { describe, expect, it } from 'vitest';
import { startDevNotify } from '../../../local/dev/notify-stand-ins.js';
import { NotifySettingsSchema, sendNotifications } from '../../../shared/notify/index.js';

const channels = NotifySettingsSchema.parse({
  channels: [
    {
      name: 'ops-dingtalk',
      type: 'dingtalk',
      urlEnv: 'NOTIFY_DINGTALK_URL',
      secretEnv: 'NOTIFY_DINGTALK_SECRET',
    },
    {
      name: 'ops-webhook',
      type: 'webhook',
      urlEnv: 'NOTIFY_WEBHOOK_URL',
      secretEnv: 'NOTIFY_WEBHOOK_SECRET',
    },
  ],
});

describe('npm start notify stand-ins', () => {
  it('points the demo channels at local stand-ins and prints what they receive', async () => {
    const printed: string[] = [];
    const notify = await startDevNotify({}, (text) => printed.push(text), { dingtalk: 0, webhook: 0 });
    try {
      const report = await sendNotifications(
        {
          origin: { kind: 'test', title: 'hello from the test', requestId: 'r', at: Date.now() },
          entries: [],
          failures: [],
        },
        { settings: channels, timezone: 'UTC', deadline: Date.now() + 5_000, env: notify.env },
      );

      expect(Object.keys(notify.env).sort()).toEqual([
        'NOTIFY_DINGTALK_SECRET',
        'NOTIFY_DINGTALK_URL',
        'NOTIFY_WEBHOOK_SECRET',
        'NOTIFY_WEBHOOK_URL',
      ]);
      expect(report).toMatchObject({ sent: 2, failed: 0 });
      expect(printed.join('')).toContain('[dingtalk stand-in] received:');
      expect(printed.join('')).toContain('hello from the test');
      expect(printed.join('')).toContain('[webhook stand-in] received:\n  autopilot.test');
    } finally {
      await notify.close();
    }
  });

  it('starts nothing for a channel whose URL the shell sets (the real robot gets the digests)', async () => {
    const notify = await startDevNotify(
      {
        NOTIFY_DINGTALK_URL: 'https://oapi.dingtalk.com/robot/send?access_token=x',
        NOTIFY_WEBHOOK_URL: 'https://hooks.example.com',
      },
      () => {},
      { dingtalk: 0, webhook: 0 },
    );
    try {
      expect(notify.env).toEqual({});
      expect(notify.banner).toEqual([
        'ops-dingtalk → the robot of NOTIFY_DINGTALK_URL',
        'ops-webhook  → the receiver of NOTIFY_WEBHOOK_URL',
      ]);
    } finally {
      await notify.close();
    }
  });
});
