import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../shared/config/file.js';

const issuesOf = (notify: unknown) => checkConfig({ notify }).issues;
const dingtalk = { name: 'ops', type: 'dingtalk', urlEnv: 'NOTIFY_URL', secretEnv: 'NOTIFY_SECRET' };

describe('notify config', () => {
  it('defaults to no channels and a 3 s budget', () => {
    expect(checkConfig({}).config?.notify).toEqual({ timeoutMs: 3_000, channels: [] });
  });

  it('accepts one channel of each type with its options', () => {
    const { config, issues } = checkConfig({
      notify: {
        channels: [
          { ...dingtalk, on: ['failed', 'hold'], jobGroupIds: ['3'], perMinute: 10, maxBytes: 8_000 },
          { name: 'fs', type: 'feishu', urlEnv: 'FS_URL' },
          { name: 'wc', type: 'wecom', urlEnv: 'WC_URL' },
          { name: 'hook', type: 'webhook', urlEnv: 'HOOK_URL', secretEnv: 'HOOK_SECRET' },
        ],
      },
    });

    expect(issues).toEqual([]);
    expect(config?.notify.channels).toHaveLength(4);
  });

  it.each([
    [
      'a webhook channel without a secret',
      [{ name: 'h', type: 'webhook', urlEnv: 'H_URL' }],
      'notify.channels[0].secretEnv',
    ],
    [
      'a WeCom channel with a secret',
      [{ name: 'w', type: 'wecom', urlEnv: 'W_URL', secretEnv: 'W_S' }],
      'notify.channels[0].secretEnv',
    ],
    ['two channels of one name', [dingtalk, { ...dingtalk, urlEnv: 'OTHER' }], 'notify.channels[1].name'],
    [
      'a URL in the config instead of a variable name',
      [{ ...dingtalk, urlEnv: 'https://oapi.dingtalk.com/robot/send' }],
      'notify.channels[0].urlEnv',
    ],
    [
      'a credential variable',
      [{ ...dingtalk, secretEnv: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET' }],
      'notify.channels[0].secretEnv',
    ],
    ['a product setting', [{ ...dingtalk, secretEnv: 'WEBHOOK_SECRETS' }], 'notify.channels[0].secretEnv'],
    ['the console tokens', [{ ...dingtalk, secretEnv: 'CONSOLE_TOKENS' }], 'notify.channels[0].secretEnv'],
    ['a store setting', [{ ...dingtalk, urlEnv: 'TABLESTORE_INSTANCE' }], 'notify.channels[0].urlEnv'],
    ['an unknown type', [{ ...dingtalk, type: 'slack' }], 'notify.channels[0].type'],
    ['an unknown topic', [{ ...dingtalk, on: ['changed'] }], 'notify.channels[0].on[0]'],
    ['an unknown key', [{ ...dingtalk, url: 'x' }], 'notify.channels[0].url'],
  ])('refuses %s, naming the path', (_, channels, path) => {
    expect(issuesOf({ channels }).map((issue) => issue.path)).toContain(path);
  });
});
