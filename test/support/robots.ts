import { afterAll, beforeAll, beforeEach } from 'vitest';
import {
  type Robot,
  startDingTalkRobot,
  startFeishuBot,
  startWebhookReceiver,
  startWeComRobot,
} from '../../local/notify/index.js';
import { resetLocalBudgets } from '../../shared/notify/budget.js';
import { resetNotifyWarnings } from '../../shared/notify/send.js';

/** Distinctive credentials of the stand-ins, so a test can look for them in every log line. */
export const ROBOT_SECRETS = {
  dingtalkToken: 'dt-token-LEAKCHECK-7f3a9c',
  dingtalkSecret: 'SEC-dingtalk-secret-LEAKCHECK-5b2e8d1f',
  feishuToken: 'fs-token-LEAKCHECK-0c4d6e',
  feishuSecret: 'feishu-secret-LEAKCHECK-9a8b7c',
  wecomKey: 'wc-key-LEAKCHECK-1e2f3a4b',
  webhookSecret: `whsec_${Buffer.from('notify-receiver-LEAKCHECK-32byte').toString('base64')}`,
} as const;

/** The four stand-ins of a suite, and the environment that points channels at them. */
export interface Robots {
  readonly dingtalk: Robot;
  readonly feishu: Robot;
  readonly wecom: Robot;
  readonly receiver: Robot;
  /** NOTIFY_*_URL / NOTIFY_*_SECRET for the {@link ROBOT_CHANNELS}. */
  readonly env: Record<string, string>;
}

/** One channel of each type, on the stand-ins of {@link useRobots}. */
export const ROBOT_CHANNELS = [
  {
    name: 'ops-dingtalk',
    type: 'dingtalk',
    urlEnv: 'NOTIFY_DINGTALK_URL',
    secretEnv: 'NOTIFY_DINGTALK_SECRET',
  },
  { name: 'ops-feishu', type: 'feishu', urlEnv: 'NOTIFY_FEISHU_URL', secretEnv: 'NOTIFY_FEISHU_SECRET' },
  { name: 'ops-wecom', type: 'wecom', urlEnv: 'NOTIFY_WECOM_URL' },
  { name: 'ops-hook', type: 'webhook', urlEnv: 'NOTIFY_HOOK_URL', secretEnv: 'NOTIFY_HOOK_SECRET' },
] as const;

/**
 * Starts a DingTalk robot, a Feishu bot, a WeCom robot and a generic receiver for the suite; before each
 * test they forget what they took, and the instance's notify state (fallback budgets, once-only
 * warnings) is cleared.
 */
export function useRobots(options: { readonly perMinute?: number } = {}): Robots {
  let robots: Omit<Robots, 'env'> | undefined;
  beforeAll(async () => {
    robots = {
      dingtalk: await startDingTalkRobot({
        accessToken: ROBOT_SECRETS.dingtalkToken,
        secret: ROBOT_SECRETS.dingtalkSecret,
        ...(options.perMinute !== undefined && { perMinute: options.perMinute }),
      }),
      feishu: await startFeishuBot({ token: ROBOT_SECRETS.feishuToken, secret: ROBOT_SECRETS.feishuSecret }),
      wecom: await startWeComRobot({ key: ROBOT_SECRETS.wecomKey }),
      receiver: await startWebhookReceiver({ secret: ROBOT_SECRETS.webhookSecret }),
    };
  });
  afterAll(async () => {
    if (!robots) return;
    await Promise.all(Object.values(robots).map((robot) => robot.close()));
  });
  beforeEach(() => {
    for (const robot of Object.values(robots ?? {})) robot.reset();
    resetLocalBudgets();
    resetNotifyWarnings();
  });
  const current = () => {
    if (!robots) throw new Error('useRobots: no stand-ins outside the hooks and tests of its suite');
    return robots;
  };
  return {
    get dingtalk() {
      return current().dingtalk;
    },
    get feishu() {
      return current().feishu;
    },
    get wecom() {
      return current().wecom;
    },
    get receiver() {
      return current().receiver;
    },
    get env() {
      const r = current();
      return {
        NOTIFY_DINGTALK_URL: r.dingtalk.url,
        NOTIFY_DINGTALK_SECRET: ROBOT_SECRETS.dingtalkSecret,
        NOTIFY_FEISHU_URL: r.feishu.url,
        NOTIFY_FEISHU_SECRET: ROBOT_SECRETS.feishuSecret,
        NOTIFY_WECOM_URL: r.wecom.url,
        NOTIFY_HOOK_URL: r.receiver.url,
        NOTIFY_HOOK_SECRET: ROBOT_SECRETS.webhookSecret,
      };
    },
  };
}

/** Every credential of the stand-ins: none may appear in a log line, an error or a response. */
export function robotNeedles(): string[] {
  const values = Object.values(ROBOT_SECRETS);
  return [...values, ...values.map((value) => encodeURIComponent(value))];
}
