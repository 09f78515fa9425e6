import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  jsonObject,
  type Robot,
  type RobotOptions,
  type RobotRequest,
  sendWindow,
  startRobot,
} from './robot.js';

export interface FeishuBotOptions extends RobotOptions {
  /** The token at the end of the bot's webhook URL (`/open-apis/bot/v2/hook/<token>`). */
  readonly token: string;
  /** 签名校验 secret; without it the bot takes unsigned requests. */
  readonly secret?: string;
  /** Messages a minute before the frequency answer (Feishu custom bot: 100, UNCONFIRMED). */
  readonly perMinute?: number;
}

/** What Feishu answers (HTTP 200; code 0 is success). */
export const FEISHU_ERRORS = {
  ok: { code: 0, data: {}, msg: 'success' },
  tokenInvalid: { code: 19001, data: {}, msg: 'param invalid: incoming webhook access token invalid' },
  signMismatch: {
    code: 19021,
    data: {},
    msg: 'sign match fail or timestamp is not within one hour from current time',
  },
  tooFast: { code: 11232, data: {}, msg: 'frequency limited' },
  badRequest: { code: 9499, data: {}, msg: 'Bad Request' },
} as const;

const MESSAGE_TYPES = new Set(['text', 'post', 'image', 'share_chat', 'interactive']);
/** Feishu takes request bodies up to 20 KB. */
const MAX_BODY_BYTES = 20 * 1024;
const HOUR_S = 3_600;

/**
 * The Feishu / Lark custom-bot API (`POST /open-apis/bot/v2/hook/<token>`) on 127.0.0.1, as its
 * documentation describes it: with a secret, the JSON body carries `timestamp` (seconds, within an hour)
 * and `sign = base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = ""))`; a mismatch is code
 * 19021. Interactive cards need `card`, other types `content`. Accepted messages are recorded.
 *
 * @example
 * const bot = await startFeishuBot({ token: 'demo', secret: 'demo-secret' });
 * // bot.messages[0].body.card.elements[0].text.content
 */
export async function startFeishuBot(options: FeishuBotOptions): Promise<Robot> {
  const window = sendWindow(options.perMinute ?? 100, 60_000);
  const handle = (request: RobotRequest) => {
    const prefix = '/open-apis/bot/v2/hook/';
    if (request.method !== 'POST' || !request.path.startsWith(prefix)) {
      return { status: 404, body: { code: 404, msg: 'not found' } };
    }
    if (decodeURIComponent(request.path.slice(prefix.length)) !== options.token) {
      return { status: 200, body: FEISHU_ERRORS.tokenInvalid };
    }
    if (Buffer.byteLength(request.raw) > MAX_BODY_BYTES)
      return { status: 200, body: FEISHU_ERRORS.badRequest };
    const body = jsonObject(request.raw);
    if (!body) return { status: 200, body: FEISHU_ERRORS.badRequest };
    if (options.secret !== undefined) {
      const timestamp = typeof body.timestamp === 'string' ? body.timestamp : String(body.timestamp ?? '');
      const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
      const expected = createHmac('sha256', `${timestamp}\n${options.secret}`).update('').digest('base64');
      const given = Buffer.from(typeof body.sign === 'string' ? body.sign : '', 'utf8');
      const wanted = Buffer.from(expected, 'utf8');
      const inTime = Number.isFinite(seconds) && Math.abs(request.now / 1000 - seconds) <= HOUR_S;
      if (!inTime || given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
        return { status: 200, body: FEISHU_ERRORS.signMismatch };
      }
    }
    const type = body.msg_type;
    const valid =
      typeof type === 'string' &&
      MESSAGE_TYPES.has(type) &&
      (type === 'interactive'
        ? typeof body.card === 'object' && body.card !== null
        : body.content !== undefined);
    if (!valid) return { status: 200, body: FEISHU_ERRORS.badRequest };
    if (!window.take(request.now)) return { status: 200, body: FEISHU_ERRORS.tooFast };
    return { status: 200, body: FEISHU_ERRORS.ok, accepted: true };
  };
  return startRobot({
    ...options,
    url: (base) => `${base}/open-apis/bot/v2/hook/${encodeURIComponent(options.token)}`,
    handle,
    onReset: () => window.reset(),
  });
}
