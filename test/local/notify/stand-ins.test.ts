import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DINGTALK_ERRORS,
  FEISHU_ERRORS,
  type Robot,
  startDingTalkRobot,
  startFeishuBot,
  startWebhookReceiver,
  startWeComRobot,
  WECOM_ERRORS,
} from '../../../local/notify/index.js';
import { dingtalkSign, feishuSign } from '../../../shared/notify/index.js';

// Every request here is built by hand (fetch, node:crypto), not by shared/notify, so the stand-ins are
// checked against the documented schemes themselves; shared/notify's signers are checked against the same
// vectors.

/**
 * DingTalk's documentation gives the scheme but signs `now`; this vector (timestamp 1700000000000, secret
 * "secret") is the one the `dingding` crate's test publishes, and Python's hmac gives the same.
 */
const DINGTALK_VECTOR = {
  timestamp: 1_700_000_000_000,
  secret: 'secret',
  sign: 'OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D',
} as const;

/**
 * Feishu's documentation gives the scheme and the example timestamp 1599360473, not a sign: this one was
 * computed with Python's hmac and base64 (key "1599360473\ntest-secret", empty message).
 */
const FEISHU_VECTOR = {
  timestamp: 1_599_360_473,
  secret: 'test-secret',
  sign: 'wSds2BzzFIIGf/WrhUO+NI1q/9j+FRJd3JNHKAq0NZY=',
} as const;

const markdown = { msgtype: 'markdown', markdown: { title: 'autopilot', text: '#### hello' } };
const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('signers against the published vectors', () => {
  it('dingtalkSign gives the DingTalk vector, URL-encoded as the query carries it', () => {
    expect(encodeURIComponent(dingtalkSign(DINGTALK_VECTOR.secret, DINGTALK_VECTOR.timestamp))).toBe(
      DINGTALK_VECTOR.sign,
    );
  });

  it('feishuSign gives the Feishu vector (timestamp + "\\n" + secret as the key, empty message)', () => {
    expect(feishuSign(FEISHU_VECTOR.secret, FEISHU_VECTOR.timestamp)).toBe(FEISHU_VECTOR.sign);
  });
});

describe('DingTalk robot stand-in', () => {
  let robot: Robot;
  const clock = { now: DINGTALK_VECTOR.timestamp + 5_000 };
  beforeAll(async () => {
    robot = await startDingTalkRobot({
      accessToken: 'tok',
      secret: DINGTALK_VECTOR.secret,
      clock: () => clock.now,
    });
  });
  afterAll(() => robot.close());
  beforeEach(() => {
    robot.reset();
    clock.now = DINGTALK_VECTOR.timestamp + 5_000;
  });
  const signed = (timestamp: number | string, sign: string, url = robot.url) =>
    `${url}&timestamp=${timestamp}&sign=${sign}`;

  it('takes the published vector and records the message', async () => {
    const answer = await post(signed(DINGTALK_VECTOR.timestamp, DINGTALK_VECTOR.sign), markdown);

    expect(answer).toEqual({ status: 200, body: DINGTALK_ERRORS.ok });
    expect(robot.messages).toHaveLength(1);
    expect(robot.messages[0]?.body).toEqual(markdown);
  });

  it('answers 310000 to a sign that was not URL-encoded (its "+" arrives as a space)', async () => {
    const raw = decodeURIComponent(DINGTALK_VECTOR.sign);

    const answer = await post(signed(DINGTALK_VECTOR.timestamp, raw), markdown);

    expect(answer.body).toEqual(DINGTALK_ERRORS.signMismatch);
    expect(robot.messages).toHaveLength(0);
  });

  it.each([
    [
      'a sign made with another secret',
      () => encodeURIComponent(hmac('other', `${DINGTALK_VECTOR.timestamp}\nother`)),
    ],
    ['no sign', () => ''],
  ])('answers 310000 to %s', async (_, sign) => {
    const answer = await post(signed(DINGTALK_VECTOR.timestamp, sign()), markdown);

    expect(answer.body).toMatchObject({ errcode: 310000 });
  });

  it('answers 310000 to a timestamp more than an hour off its clock, even correctly signed', async () => {
    clock.now = DINGTALK_VECTOR.timestamp + 3_600_001;

    const answer = await post(signed(DINGTALK_VECTOR.timestamp, DINGTALK_VECTOR.sign), markdown);

    expect(answer.body).toEqual(DINGTALK_ERRORS.timestampInvalid);
  });

  it('answers 300001 to an unknown access_token', async () => {
    const url = robot.url.replace('access_token=tok', 'access_token=other');

    const answer = await post(signed(DINGTALK_VECTOR.timestamp, DINGTALK_VECTOR.sign, url), markdown);

    expect(answer.body).toEqual(DINGTALK_ERRORS.tokenUnknown);
  });

  it('answers 40035 to a markdown message without a title', async () => {
    const answer = await post(signed(DINGTALK_VECTOR.timestamp, DINGTALK_VECTOR.sign), {
      msgtype: 'markdown',
      markdown: { text: 'x' },
    });

    expect(answer.body).toEqual(DINGTALK_ERRORS.badMessage);
  });

  it('takes 20 messages a minute, then answers 130101 and stays throttled for 10 minutes', async () => {
    const answers = [];
    for (let i = 0; i < 22; i++) {
      answers.push(
        (await post(signed(DINGTALK_VECTOR.timestamp, DINGTALK_VECTOR.sign), markdown)).body.errcode,
      );
    }
    clock.now += 5 * 60_000;
    const during = await post(signed(DINGTALK_VECTOR.timestamp, DINGTALK_VECTOR.sign), markdown);
    clock.now += 5 * 60_000 + 1;
    const after = await post(signed(DINGTALK_VECTOR.timestamp, DINGTALK_VECTOR.sign), markdown);

    expect(answers.filter((code) => code === 0)).toHaveLength(20);
    expect(answers.slice(20)).toEqual([130101, 130101]);
    expect(during.body.errcode).toBe(130101);
    expect(after.body.errcode).toBe(0);
  });
});

function hmac(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message).digest('base64');
}

describe('Feishu bot stand-in', () => {
  let bot: Robot;
  const clock = { now: FEISHU_VECTOR.timestamp * 1000 + 10_000 };
  beforeAll(async () => {
    bot = await startFeishuBot({ token: 'hook-token', secret: FEISHU_VECTOR.secret, clock: () => clock.now });
  });
  afterAll(() => bot.close());
  beforeEach(() => {
    bot.reset();
    clock.now = FEISHU_VECTOR.timestamp * 1000 + 10_000;
  });
  const card = { msg_type: 'interactive', card: { elements: [] } };

  it('takes the vector in the body and records the card', async () => {
    const body = { timestamp: String(FEISHU_VECTOR.timestamp), sign: FEISHU_VECTOR.sign, ...card };

    const answer = await post(bot.url, body);

    expect(answer).toEqual({ status: 200, body: FEISHU_ERRORS.ok });
    expect(bot.messages[0]?.body).toEqual(body);
  });

  it.each([
    [
      'the DingTalk scheme (secret as the key)',
      () => hmac(FEISHU_VECTOR.secret, `${FEISHU_VECTOR.timestamp}\n${FEISHU_VECTOR.secret}`),
    ],
    ['no sign', () => ''],
  ])('answers 19021 to %s', async (_, sign) => {
    const answer = await post(bot.url, { timestamp: String(FEISHU_VECTOR.timestamp), sign: sign(), ...card });

    expect(answer.body).toEqual(FEISHU_ERRORS.signMismatch);
  });

  it('answers 19021 to a timestamp more than an hour off', async () => {
    clock.now = (FEISHU_VECTOR.timestamp + 3_601) * 1000;

    const answer = await post(bot.url, {
      timestamp: String(FEISHU_VECTOR.timestamp),
      sign: FEISHU_VECTOR.sign,
      ...card,
    });

    expect(answer.body).toEqual(FEISHU_ERRORS.signMismatch);
  });

  it('answers 19001 to an unknown token and 9499 to a card-less interactive message', async () => {
    const signedCard = { timestamp: String(FEISHU_VECTOR.timestamp), sign: FEISHU_VECTOR.sign };

    const unknown = await post(bot.url.replace('hook-token', 'other'), { ...signedCard, ...card });
    const bad = await post(bot.url, { ...signedCard, msg_type: 'interactive' });

    expect(unknown.body).toEqual(FEISHU_ERRORS.tokenInvalid);
    expect(bad.body).toEqual(FEISHU_ERRORS.badRequest);
  });
});

describe('WeCom robot stand-in', () => {
  let robot: Robot;
  beforeAll(async () => {
    robot = await startWeComRobot({ key: 'k-1' });
  });
  afterAll(() => robot.close());
  beforeEach(() => robot.reset());
  const message = (content: string) => ({ msgtype: 'markdown', markdown: { content } });

  it('takes markdown with the right key, 93000 with another', async () => {
    const ok = await post(robot.url, message('**hi**'));
    const wrong = await post(robot.url.replace('key=k-1', 'key=k-2'), message('**hi**'));

    expect(ok.body).toEqual(WECOM_ERRORS.ok);
    expect(wrong.body).toEqual(WECOM_ERRORS.keyInvalid);
    expect(robot.messages).toHaveLength(1);
  });

  it('refuses markdown over 4096 bytes (a Chinese character is three)', async () => {
    const fits = await post(robot.url, message('城'.repeat(1_365)));
    const over = await post(robot.url, message('城'.repeat(1_366)));

    expect(fits.body.errcode).toBe(0);
    expect(over.body).toEqual(WECOM_ERRORS.tooLong);
  });

  it('answers 45009 past 20 messages a minute', async () => {
    const codes = [];
    for (let i = 0; i < 21; i++) codes.push((await post(robot.url, message(`m${i}`))).body.errcode);

    expect(codes.slice(0, 20).every((code) => code === 0)).toBe(true);
    expect(codes[20]).toBe(45009);
  });
});

describe('signed-webhook receiver stand-in', () => {
  const secret = `whsec_${Buffer.from('receiver-test-secret-32-bytes!!!').toString('base64')}`;
  let receiver: Robot;
  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secret });
  });
  afterAll(() => receiver.close());
  beforeEach(() => receiver.reset());
  const sign = (body: string, key = secret) => {
    const at = new Date();
    return {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(key).sign('msg_1', at, body),
    };
  };

  it('verifies with the standardwebhooks library: a signed body is taken, another body or key is 401', async () => {
    const body = JSON.stringify({ type: 'autopilot.digest' });
    const otherKey = `whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`;

    const ok = await post(receiver.url, body, sign(body));
    const tampered = await post(receiver.url, JSON.stringify({ type: 'x' }), sign(body));
    const wrongKey = await post(receiver.url, body, sign(body, otherKey));

    expect([ok.status, tampered.status, wrongKey.status]).toEqual([200, 401, 401]);
    expect(receiver.messages).toHaveLength(1);
    expect(receiver.messages[0]?.headers['webhook-id']).toBe('msg_1');
  });
});

describe('faults', () => {
  it('hangs, resets and answers what it is told, for the next N requests only', async () => {
    const robot = await startWeComRobot({ key: 'k' });
    try {
      robot.setFault({ kind: 'answer', status: 503, body: { errcode: -1 } }, 1);
      const first = await post(robot.url, { msgtype: 'markdown', markdown: { content: 'a' } });
      const second = await post(robot.url, { msgtype: 'markdown', markdown: { content: 'a' } });
      robot.setFault({ kind: 'reset' }, 1);
      const reset = await post(robot.url, { msgtype: 'markdown', markdown: { content: 'a' } }).catch(
        () => 'reset',
      );
      robot.setFault({ kind: 'hang' }, 1);
      const hang = await Promise.race([
        post(robot.url, { msgtype: 'markdown', markdown: { content: 'a' } }).catch(() => 'closed'),
        new Promise((resolve) => setTimeout(() => resolve('hanging'), 300)),
      ]);

      expect(first.status).toBe(503);
      expect(second.body.errcode).toBe(0);
      expect(reset).toBe('reset');
      expect(hang).toBe('hanging');
    } finally {
      await robot.close();
    }
  });
});
