import { createHash } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AutopilotError } from '../../../shared/errors.js';
import type { HttpRequest } from '../../../shared/fc/http.js';
import { parseSecrets, parseTokens } from '../../../shared/webhook/auth.js';
import { createAuthenticator, WEBHOOK_TOLERANCE_SECONDS } from '../../../shared/webhook/index.js';

// The published Standard Webhooks test vector (reference/webhooks.md).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const request = (headers: Record<string, string>, body = VECTOR.body): HttpRequest => ({
  method: 'POST',
  path: '/v1/batch',
  rawPath: '/v1/batch',
  headers,
  query: {},
  body: Buffer.from(body),
});
const vectorHeaders = (overrides: Record<string, string> = {}) => ({
  'webhook-id': VECTOR.id,
  'webhook-timestamp': String(VECTOR.timestamp),
  'webhook-signature': VECTOR.signature,
  ...overrides,
});

afterEach(() => {
  vi.useRealTimers();
});

const fingerprint = (secret: string) =>
  `webhook:${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;

describe('Standard Webhooks verification', () => {
  it('accepts the published test vector at its own time', () => {
    vi.useFakeTimers({ now: VECTOR.timestamp * 1000 + 10_000 });
    const auth = createAuthenticator({ secrets: VECTOR.secret });

    expect(auth.authenticate(request(vectorHeaders()))).toEqual({
      ok: true,
      caller: { who: fingerprint(VECTOR.secret), via: 'signature', webhookId: VECTOR.id },
    });
  });

  it('names the matching secret by its fingerprint, not its position, during a rotation', () => {
    vi.useFakeTimers({ now: VECTOR.timestamp * 1000 });
    const other = `whsec_${Buffer.from('another secret of enough length').toString('base64')}`;
    const auth = createAuthenticator({ secrets: ` ${other} , ${VECTOR.secret} ` });

    const result = auth.authenticate(request(vectorHeaders()));

    expect(result).toMatchObject({ ok: true, caller: { who: fingerprint(VECTOR.secret) } });
    // Rotating the other secret out does not rename this caller.
    const alone = createAuthenticator({ secrets: VECTOR.secret }).authenticate(request(vectorHeaders()));
    expect(alone).toMatchObject({ ok: true, caller: { who: fingerprint(VECTOR.secret) } });
  });

  it.each([
    ['one second past the tolerance', WEBHOOK_TOLERANCE_SECONDS + 1, 'stale-timestamp'],
    ['one second before the tolerance', -(WEBHOOK_TOLERANCE_SECONDS + 1), 'stale-timestamp'],
    ['exactly at the tolerance', WEBHOOK_TOLERANCE_SECONDS, undefined],
  ])('a clock %s → %s', (_case, offset, reason) => {
    vi.useFakeTimers({ now: (VECTOR.timestamp + offset) * 1000 });
    const result = createAuthenticator({ secrets: VECTOR.secret }).authenticate(request(vectorHeaders()));

    expect(result.ok ? undefined : result.reason).toBe(reason);
  });

  it.each([
    ['a changed body', vectorHeaders(), '{"test": 2432232315}', 'bad-signature'],
    ['a changed id', vectorHeaders({ 'webhook-id': 'msg_other' }), VECTOR.body, 'bad-signature'],
    [
      'a zero-padded timestamp',
      vectorHeaders({ 'webhook-timestamp': `0${VECTOR.timestamp}` }),
      VECTOR.body,
      'malformed-headers',
    ],
    [
      'a timestamp with junk',
      vectorHeaders({ 'webhook-timestamp': `${VECTOR.timestamp}x` }),
      VECTOR.body,
      'malformed-headers',
    ],
    ['an id with a space', vectorHeaders({ 'webhook-id': 'msg 1' }), VECTOR.body, 'malformed-headers'],
    [
      'a huge signature header',
      vectorHeaders({ 'webhook-signature': `v1,${'A'.repeat(5000)}` }),
      VECTOR.body,
      'malformed-headers',
    ],
    [
      'a signature without version',
      vectorHeaders({ 'webhook-signature': VECTOR.signature.slice(3) }),
      VECTOR.body,
      'bad-signature',
    ],
  ])('refuses %s', (_case, headers, body, reason) => {
    vi.useFakeTimers({ now: VECTOR.timestamp * 1000 });
    const result = createAuthenticator({ secrets: VECTOR.secret }).authenticate(request(headers, body));

    expect(result).toMatchObject({ ok: false, reason, error: { code: 'UNAUTHORIZED', status: 401 } });
  });

  it('signs and verifies a fresh message through the library', () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const now = new Date();
    const body = '{"changes":[{"jobGroupId":"3","action":"stop"}]}';
    const signature = new Webhook(secret).sign('msg_1', now, body);
    const auth = createAuthenticator({ secrets: secret });

    const result = auth.authenticate(
      request(
        {
          'webhook-id': 'msg_1',
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body,
      ),
    );

    expect(result.ok).toBe(true);
  });
});

describe('bearer tokens', () => {
  const auth = createAuthenticator({
    tokens:
      'ci=s3cr3t-ci-0123456789abcdef0123456789, plain-token-1-0123456789abcdef012345 ,grafana=g-token-0123456789abcdef0123456789ab',
  });

  it.each([
    ['Bearer s3cr3t-ci-0123456789abcdef0123456789', 'ci'],
    ['bearer plain-token-1-0123456789abcdef012345', 'token:1'],
    ['Bearer   g-token-0123456789abcdef0123456789ab  ', 'grafana'],
  ])('%s → %s', (header, who) => {
    expect(auth.authenticate(request({ authorization: header }))).toEqual({
      ok: true,
      caller: { who, via: 'bearer', tokenFingerprint: expect.stringMatching(/^[0-9a-f]{8}$/) },
    });
  });

  it.each([
    'Bearer',
    'Bearer ',
    'Bearer s3cr3t',
    'Bearer s3cr3t-ci-0123456789abcdef01234567892',
    'Token s3cr3t-ci-0123456789abcdef0123456789',
    's3cr3t-ci-0123456789abcdef0123456789',
    'Bearer ci=s3cr3t-ci-0123456789abcdef0123456789',
  ])('refuses %j', (header) => {
    expect(auth.authenticate(request({ authorization: header }))).toMatchObject({
      ok: false,
      reason: 'bad-token',
    });
  });

  it.each([
    ['ci=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'ci'],
    ['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'token:0'],
    ['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx==', 'token:0'],
    ['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=', 'token:0'],
    ['bad name=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'token:0'],
  ])('parses %s as %s', (entry, who) => {
    expect(parseTokens(entry)[0]?.who).toBe(who);
  });

  it.each([
    ['grafana=', 1, 'has a name but no token'],
    ['=', 1, 'is 1 characters'],
    ['a', 1, 'is 1 characters'],
    ['ci=short-token', 1, 'is 11 characters'],
  ])('refuses %j at entry %i (%s), never echoing it', (entry, index, why) => {
    const refused = (() => {
      try {
        parseTokens(`ok=${'y'.repeat(32)},${entry}`);
      } catch (error) {
        return error as AutopilotError;
      }
      return undefined;
    })();
    expect(refused).toMatchObject({ code: 'CONFIG_INVALID', field: 'WEBHOOK_TOKENS' });
    expect(refused?.message).toContain(`WEBHOOK_TOKENS entry ${index} ${why}`);
    if (entry.length > 1) expect(JSON.stringify(refused?.toPublic())).not.toContain(entry);
  });
});

describe('configuration', () => {
  it('refuses everything when nothing is configured', () => {
    const auth = createAuthenticator({ secrets: ' , ', tokens: '' });

    expect(auth.configured).toBe(false);
    expect(auth.authenticate(request(vectorHeaders()))).toMatchObject({
      ok: false,
      reason: 'not-configured',
    });
  });

  it.each([
    ['one byte', 'whsec_AA=='],
    ['23 bytes', `whsec_${Buffer.alloc(23, 1).toString('base64')}`],
    ['65 bytes', `whsec_${Buffer.alloc(65, 1).toString('base64')}`],
    ['no whsec_ prefix', Buffer.alloc(32, 1).toString('base64')],
  ])('refuses a secret of %s naming its entry', (_case, secret) => {
    expect(() => parseSecrets(`${VECTOR.secret},${secret}`)).toThrowError(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('WEBHOOK_SECRETS entry 1'),
      }),
    );
  });

  it('accepts secrets of 24 and 64 bytes', () => {
    const sized = (n: number) => `whsec_${Buffer.alloc(n, 7).toString('base64')}`;
    expect(parseSecrets(`${sized(24)},${sized(64)}`)).toHaveLength(2);
  });

  it('reports a bad secret by position, never by value', () => {
    let error: unknown;
    try {
      parseSecrets('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_@@not-base64@@');
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(AutopilotError);
    expect((error as AutopilotError).code).toBe('CONFIG_INVALID');
    expect((error as AutopilotError).message).toContain('entry 1');
    expect(JSON.stringify((error as AutopilotError).toLog())).not.toContain('not-base64');
  });
});
