import {
  jsonObject,
  type Robot,
  type RobotOptions,
  type RobotRequest,
  sendWindow,
  startRobot,
} from './robot.js';

export interface WeComRobotOptions extends RobotOptions {
  /** The robot's `key` (in its webhook URL; WeCom robots do not sign). */
  readonly key: string;
  /** Messages a minute before `45009` (WeCom: 20). */
  readonly perMinute?: number;
}

/** What WeCom answers (HTTP 200; errcode 0 is success). */
export const WECOM_ERRORS = {
  ok: { errcode: 0, errmsg: 'ok' },
  keyInvalid: { errcode: 93000, errmsg: 'invalid webhook url, hint: [stand-in]' },
  tooFast: { errcode: 45009, errmsg: 'api freq out of limit' },
  // UNCONFIRMED code: WeCom documents the 4096-byte limit, the stand-in picks this answer for it.
  tooLong: { errcode: 40058, errmsg: 'markdown.content exceed max length 4096' },
  badMessage: { errcode: 40008, errmsg: 'invalid message type' },
} as const;

const MESSAGE_TYPES = new Set(['text', 'markdown', 'image', 'news', 'file', 'template_card']);
const MAX_MARKDOWN_BYTES = 4_096;

/**
 * The WeCom (企业微信) group-robot API (`POST /cgi-bin/webhook/send?key=…`) on 127.0.0.1: the key in the
 * URL is the only credential; markdown content at most 4096 bytes; 20 messages a minute, then 45009.
 * Accepted messages are recorded.
 *
 * @example
 * const robot = await startWeComRobot({ key: 'demo-key' });
 * // robot.messages[0].body.markdown.content
 */
export async function startWeComRobot(options: WeComRobotOptions): Promise<Robot> {
  const window = sendWindow(options.perMinute ?? 20, 60_000);
  const handle = (request: RobotRequest) => {
    if (request.method !== 'POST' || request.path !== '/cgi-bin/webhook/send') {
      return { status: 404, body: { errcode: 404, errmsg: 'not found' } };
    }
    if (request.query.get('key') !== options.key) return { status: 200, body: WECOM_ERRORS.keyInvalid };
    const body = jsonObject(request.raw);
    const type = body?.msgtype;
    const content =
      typeof type === 'string' ? (body?.[type] as Record<string, unknown> | undefined) : undefined;
    if (typeof type !== 'string' || !MESSAGE_TYPES.has(type) || !content) {
      return { status: 200, body: WECOM_ERRORS.badMessage };
    }
    if (type === 'markdown') {
      if (typeof content.content !== 'string') return { status: 200, body: WECOM_ERRORS.badMessage };
      if (Buffer.byteLength(content.content) > MAX_MARKDOWN_BYTES)
        return { status: 200, body: WECOM_ERRORS.tooLong };
    }
    if (!window.take(request.now)) return { status: 200, body: WECOM_ERRORS.tooFast };
    return { status: 200, body: WECOM_ERRORS.ok, accepted: true };
  };
  return startRobot({
    ...options,
    url: (base) => `${base}/cgi-bin/webhook/send?key=${encodeURIComponent(options.key)}`,
    handle,
    onReset: () => window.reset(),
  });
}
