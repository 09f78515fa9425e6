import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  jsonObject,
  type Robot,
  type RobotOptions,
  type RobotRequest,
  sendWindow,
  startRobot,
} from './robot.js';

export interface DingTalkRobotOptions extends RobotOptions {
  /** The robot's `access_token` (in its webhook URL). */
  readonly accessToken: string;
  /** 加签 secret (`SEC…`); without it the robot takes unsigned requests (keyword / IP security instead). */
  readonly secret?: string;
  /** Messages a minute before `130101 send too fast` (DingTalk: 20). */
  readonly perMinute?: number;
  /** How long the robot stays throttled after that (DingTalk: 10 minutes). */
  readonly throttleMs?: number;
}

/** What DingTalk answers, always with HTTP 200 (errcode 0 is success). */
export const DINGTALK_ERRORS = {
  ok: { errcode: 0, errmsg: 'ok' },
  tokenUnknown: { errcode: 300001, errmsg: 'token is not exist' },
  signMismatch: {
    errcode: 310000,
    errmsg: 'sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]',
  },
  timestampInvalid: {
    errcode: 310000,
    errmsg: 'invalid timestamp, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]',
  },
  tooFast: { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' },
  badMessage: { errcode: 40035, errmsg: '缺少参数 json' },
} as const;

const MESSAGE_TYPES = new Set(['text', 'markdown', 'link', 'actionCard', 'feedCard']);
const HOUR_MS = 3_600_000;

/**
 * The DingTalk custom-robot API (`POST /robot/send?access_token=…`) on 127.0.0.1, as its documentation
 * describes it: with a secret, `timestamp` (ms, within an hour of the robot's clock) and `sign` must be
 * query parameters, `sign = urlEncode(base64(HMAC-SHA256(key = secret, timestamp + "\n" + secret)))` —
 * decoded from the query the way a server does, so an unescaped `+` arrives as a space and fails (310000).
 * 20 messages a minute, then `130101 send too fast` for 10 minutes. Accepted messages are recorded.
 *
 * @example
 * const robot = await startDingTalkRobot({ accessToken: 'demo', secret: 'SECdemo' });
 * // NOTIFY_DINGTALK_URL=robot.url, NOTIFY_DINGTALK_SECRET=SECdemo; robot.messages[0].body.markdown.text
 */
export async function startDingTalkRobot(options: DingTalkRobotOptions): Promise<Robot> {
  const window = sendWindow(options.perMinute ?? 20, options.throttleMs ?? 10 * 60_000);
  const handle = (request: RobotRequest) => {
    if (request.method !== 'POST' || request.path !== '/robot/send') {
      return { status: 404, body: { errcode: 404, errmsg: 'not found' } };
    }
    if (request.query.get('access_token') !== options.accessToken) {
      return { status: 200, body: DINGTALK_ERRORS.tokenUnknown };
    }
    if (options.secret !== undefined) {
      const timestamp = request.query.get('timestamp') ?? '';
      const sign = request.query.get('sign') ?? '';
      const at = /^\d{13}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
      if (!Number.isFinite(at) || Math.abs(request.now - at) > HOUR_MS) {
        return { status: 200, body: DINGTALK_ERRORS.timestampInvalid };
      }
      const expected = createHmac('sha256', options.secret)
        .update(`${timestamp}\n${options.secret}`, 'utf8')
        .digest('base64');
      const given = Buffer.from(sign, 'utf8');
      const wanted = Buffer.from(expected, 'utf8');
      if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
        return { status: 200, body: DINGTALK_ERRORS.signMismatch };
      }
    }
    const body = jsonObject(request.raw);
    const type = body?.msgtype;
    const content =
      typeof type === 'string' ? (body?.[type] as Record<string, unknown> | undefined) : undefined;
    const valid =
      typeof type === 'string' &&
      MESSAGE_TYPES.has(type) &&
      content !== undefined &&
      (type !== 'markdown' || (typeof content.title === 'string' && typeof content.text === 'string'));
    if (!valid) return { status: 200, body: DINGTALK_ERRORS.badMessage };
    if (!window.take(request.now)) return { status: 200, body: DINGTALK_ERRORS.tooFast };
    return { status: 200, body: DINGTALK_ERRORS.ok, accepted: true };
  };
  return startRobot({
    ...options,
    url: (base) => `${base}/robot/send?access_token=${encodeURIComponent(options.accessToken)}`,
    handle,
    onReset: () => window.reset(),
  });
}
