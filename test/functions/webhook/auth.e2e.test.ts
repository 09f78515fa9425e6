import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/webhook/handler.js';
import { AutopilotError } from '../../../shared/errors.js';
import { createMemoryStore } from '../../../shared/state/memory.js';
import { useMemoryStore } from '../../../shared/state/select.js';
import { downStore } from '../../support/down-store.js';
import {
  type Answer,
  applyEnv,
  auditLines,
  bearer,
  CI_TOKEN,
  type HttpEvent,
  httpEvent,
  invoke,
  NEW_SECRET,
  OLD_SECRET,
  PLAIN_TOKEN,
  signed,
  toBuffer,
  upstreamDuring,
  useWebhookEmulator,
  WRONG_SECRET,
} from './helpers.js';

const { emu, logs } = useWebhookEmulator();
const answers: Answer[] = [];

async function send(
  event: HttpEvent | Buffer,
): Promise<{ answer: Answer; requests: number; audit: Record<string, unknown> }> {
  const { result, requests } = await upstreamDuring(emu, () => invoke(handler, event));
  answers.push(result);
  return { answer: result, requests, audit: auditLines(logs.lines).at(-1)! };
}

/** How the audit names a signing key: the first 8 hex digits of the secret's SHA-256, never its position. */
const fingerprint = (secret: string) =>
  `webhook:${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;

const minutes = (n: number) => new Date(Date.now() + n * 60_000);

describe('auth matrix', () => {
  it.each<[string, () => HttpEvent, string]>([
    ['no credentials at all', () => httpEvent('scale'), 'missing-credentials'],
    [
      'a signature made with a wrong secret',
      () => signed(httpEvent('scale'), { secret: WRONG_SECRET }),
      'bad-signature',
    ],
    [
      'a tampered body',
      () => signed(httpEvent('scale'), { signedBody: '{"planedJobCount": 1}' }),
      'bad-signature',
    ],
    ['a timestamp 6 minutes old', () => signed(httpEvent('scale'), { at: minutes(-6) }), 'stale-timestamp'],
    ['a timestamp 6 minutes ahead', () => signed(httpEvent('scale'), { at: minutes(6) }), 'stale-timestamp'],
    [
      'a non-numeric timestamp',
      () => {
        const event = signed(httpEvent('scale'));
        event.headers['Webhook-Timestamp'] = `${event.headers['Webhook-Timestamp']}abc`;
        return event;
      },
      'malformed-headers',
    ],
    [
      'a signature without webhook-id',
      () => {
        const event = signed(httpEvent('scale'));
        delete event.headers['Webhook-Id'];
        return event;
      },
      'malformed-headers',
    ],
    [
      'a v2 signature only',
      () => {
        const event = signed(httpEvent('scale'));
        event.headers['Webhook-Signature'] = event.headers['Webhook-Signature']!.replace('v1,', 'v2,');
        return event;
      },
      'bad-signature',
    ],
    ['a wrong bearer token', () => bearer(httpEvent('scale'), 'tok_wrong'), 'bad-token'],
    ['an empty bearer token', () => bearer(httpEvent('scale'), ''), 'bad-token'],
    ['a token prefix', () => bearer(httpEvent('scale'), CI_TOKEN.slice(0, -1)), 'bad-token'],
    ['the token name as token', () => bearer(httpEvent('scale'), 'ci'), 'bad-token'],
    ['name=token as token', () => bearer(httpEvent('scale'), `ci=${CI_TOKEN}`), 'bad-token'],
    [
      'Basic auth',
      () =>
        httpEvent('scale', {
          headers: { Authorization: `Basic ${Buffer.from(`ci:${CI_TOKEN}`).toString('base64')}` },
        }),
      'bad-token',
    ],
  ])('refuses %s with 401 and no upstream call', async (_case, make, reason) => {
    const { answer, requests, audit } = await send(make());

    expect(answer.status).toBe(401);
    expect(answer.json.error?.code).toBe('UNAUTHORIZED');
    expect(requests).toBe(0);
    expect(audit).toMatchObject({ who: 'anonymous', status: 401, code: 'UNAUTHORIZED', authFailure: reason });
  });

  it.each<[string, () => HttpEvent, string]>([
    [
      'the old secret during a rotation',
      () => signed(httpEvent('scale'), { secret: OLD_SECRET }),
      fingerprint(OLD_SECRET),
    ],
    [
      'the new secret during a rotation',
      () => signed(httpEvent('scale'), { secret: NEW_SECRET }),
      fingerprint(NEW_SECRET),
    ],
    [
      'a timestamp 4 minutes old',
      () => signed(httpEvent('scale'), { at: minutes(-4) }),
      fingerprint(NEW_SECRET),
    ],
    [
      'a timestamp 4 minutes ahead',
      () => signed(httpEvent('scale'), { at: minutes(4) }),
      fingerprint(NEW_SECRET),
    ],
    [
      'several signatures, one of them valid',
      () => {
        const event = signed(httpEvent('scale'));
        event.headers['Webhook-Signature'] = `v1,AAAA ${event.headers['Webhook-Signature']} v1a,xyz`;
        return event;
      },
      fingerprint(NEW_SECRET),
    ],
    ['a named bearer token', () => bearer(httpEvent('scale'), CI_TOKEN), 'ci'],
    ['an unnamed bearer token', () => bearer(httpEvent('scale'), PLAIN_TOKEN), 'token:1'],
    [
      'a lower-case bearer scheme',
      () => httpEvent('scale', { headers: { Authorization: `bearer ${CI_TOKEN}` } }),
      'ci',
    ],
  ])('accepts %s', async (_case, make, who) => {
    const { answer, audit } = await send(make());

    expect(answer.status).toBe(200);
    expect(audit).toMatchObject({ who, status: 200, outcome: 'changed' });
  });

  it('refuses an accepted webhook-id reused for another request (422), sending nothing', async () => {
    const id = 'msg_replay_1';
    const first = await send(signed(httpEvent('scale'), { id }));
    const reused = await send(signed(httpEvent('scale', { body: '{"planedJobCount": 2}' }), { id }));

    expect(first.answer.status).toBe(200);
    expect(reused.answer.status).toBe(422);
    expect(reused.answer.json.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(reused.requests).toBe(0);
  });

  it('answers a repeated delivery with the stored answer, marked Idempotent-Replayed, sending nothing', async () => {
    const buffer = toBuffer(signed(httpEvent('scale')));

    const first = await send(buffer);
    const second = await send(buffer);

    expect([first.answer.status, second.answer.status]).toEqual([200, 200]);
    expect(second.answer.body).toBe(first.answer.body);
    expect(second.answer.headers['Idempotent-Replayed']).toBe('true');
    expect(second.answer.headers['Content-Type']).toBe(first.answer.headers['Content-Type']);
    expect(first.answer.headers['Idempotent-Replayed']).toBeUndefined();
    expect(second.requests).toBe(0);
    expect(second.audit).toMatchObject({ replayed: true, status: 200 });
  });

  it('a sender retrying after a lost answer (re-signed, same id and body) gets the stored answer', async () => {
    const id = 'msg_lost_answer';
    const first = await send(signed(httpEvent('scale'), { id }));
    const retried = await send(signed(httpEvent('scale'), { id, at: minutes(1) }));

    expect(retried.answer.status).toBe(200);
    expect(retried.answer.json.requestId).toBe(first.answer.json.requestId);
    expect(retried.requests).toBe(0);
  });

  it('a bearer caller gets the same with an Idempotency-Key header; without one every request runs', async () => {
    const keyed = () =>
      bearer(httpEvent('scale', { headers: { 'Idempotency-Key': 'runbook-42' } }), CI_TOKEN);
    const first = await send(keyed());
    const repeat = await send(keyed());
    const plain = [
      await send(bearer(httpEvent('scale'), CI_TOKEN)),
      await send(bearer(httpEvent('scale'), CI_TOKEN)),
    ];

    expect(repeat.answer.headers['Idempotent-Replayed']).toBe('true');
    expect(repeat.requests).toBe(0);
    expect(first.requests).toBeGreaterThan(0);
    expect(plain.map((p) => p.answer.headers['Idempotent-Replayed'])).toEqual([undefined, undefined]);
  });

  it('takes an Idempotency-Key of 256 characters that URL-encoding would make too long for a store key', async () => {
    const key = '"'.repeat(256);
    const first = await send(bearer(httpEvent('scale', { headers: { 'Idempotency-Key': key } }), CI_TOKEN));
    const repeat = await send(bearer(httpEvent('scale', { headers: { 'Idempotency-Key': key } }), CI_TOKEN));

    expect(first.answer.status).toBe(200);
    expect(repeat.answer.headers['Idempotent-Replayed']).toBe('true');
  });

  it("scopes a bearer caller's Idempotency-Key by the token, so reordering WEBHOOK_TOKENS moves no id", async () => {
    const keyed = () =>
      bearer(httpEvent('scale', { headers: { 'Idempotency-Key': 'reorder-1' } }), PLAIN_TOKEN);
    await send(keyed());
    applyEnv({ WEBHOOK_TOKENS: `${PLAIN_TOKEN},ci=${CI_TOKEN}` }); // the unnamed token is now entry 0

    const repeat = await send(keyed());

    expect(repeat.answer.headers['Idempotent-Replayed']).toBe('true');
    expect(repeat.requests).toBe(0);
  });

  it('refuses a malformed Idempotency-Key naming the header', async () => {
    const { answer, requests } = await send(
      bearer(httpEvent('scale', { headers: { 'Idempotency-Key': 'has space' } }), CI_TOKEN),
    );
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({ code: 'INVALID_INPUT', field: 'Idempotency-Key' });
    expect(requests).toBe(0);
  });

  it('a change that was sent is answered 200 even when the informational holds read fails', async () => {
    const memory = createMemoryStore();
    useMemoryStore({
      ...memory,
      list: async () => {
        throw new AutopilotError('STATE_UNAVAILABLE');
      },
    });

    const { answer, requests } = await send(signed(httpEvent('scale')));

    expect(answer.status).toBe(200);
    expect(answer.json.changed).toBe(true);
    expect(requests).toBeGreaterThan(0);
  });

  it('answers 503 STATE_UNAVAILABLE with Retry-After and sends nothing when the store is down', async () => {
    useMemoryStore(downStore(2));

    const { answer, requests } = await send(signed(httpEvent('scale')));

    expect(answer.status).toBe(503);
    expect(answer.json.error?.code).toBe('STATE_UNAVAILABLE');
    expect(answer.headers['Retry-After']).toBe('2');
    expect(requests).toBe(0);
  });

  it('lets a sender retry a message that failed retryably (429), with the same webhook-id', async () => {
    emu.setFaults({ script: ['throttle', 'throttle', 'throttle', 'throttle'] });
    const id = 'msg_retry_after_throttle';

    const throttled = await send(signed(httpEvent('scale'), { id }));
    const retried = await send(signed(httpEvent('scale'), { id }));

    expect(throttled.answer.status).toBe(429);
    expect(retried.answer.status).toBe(200);
  });

  it('keeps a message id usable after an unverified request tried it', async () => {
    const id = 'msg_not_burnt';

    const forged = await send(signed(httpEvent('scale'), { id, secret: WRONG_SECRET }));
    const genuine = await send(signed(httpEvent('scale'), { id }));

    expect([forged.answer.status, genuine.answer.status]).toEqual([401, 200]);
  });

  it.each([
    ['invalid JSON', { body: '{not json' }],
    ['a non-JSON content type', { body: '{"planedJobCount": 3}', headers: { 'Content-Type': 'text/plain' } }],
    ['an unknown field', { body: '{"plannedJobCount": 3}' }],
  ])('authenticates before reading the body: %s without credentials is 401', async (_case, changes) => {
    const { answer } = await send(httpEvent('scale', changes));

    expect(answer.status).toBe(401);
  });
});

describe('without any secret or token configured', () => {
  beforeEach(() => applyEnv({ WEBHOOK_SECRETS: undefined, WEBHOOK_TOKENS: undefined }));

  it.each<[string, () => HttpEvent]>([
    ['scale', () => signed(httpEvent('scale'))],
    ['stop', () => bearer(httpEvent('stop'))],
    ['start', () => signed(httpEvent('start'))],
    ['PATCH', () => bearer(httpEvent('modify'))],
    ['batch', () => signed(httpEvent('batch'))],
    ['dry run', () => signed(httpEvent('scale-dry-run'))],
    ['no credentials', () => httpEvent('scale')],
  ])('answers 401 to %s (never open by accident)', async (_case, make) => {
    const { answer, requests, audit } = await send(make());

    expect(answer.status).toBe(401);
    expect(requests).toBe(0);
    expect(audit).toMatchObject({ authFailure: 'not-configured' });
  });

  it('still answers /healthz', async () => {
    const { answer } = await send(httpEvent('healthz'));

    expect(answer.status).toBe(200);
  });

  it('warns the operator in the log', async () => {
    await send(signed(httpEvent('scale')));

    expect(
      logs.lines.some((line) => line.level === 'warn' && String(line.msg).includes('not configured')),
    ).toBe(true);
  });
});

describe('with bearer tokens only', () => {
  beforeEach(() => applyEnv({ WEBHOOK_SECRETS: undefined }));

  it('refuses signatures and accepts tokens', async () => {
    const signature = await send(signed(httpEvent('scale')));
    const token = await send(bearer(httpEvent('scale')));

    expect([signature.answer.status, token.answer.status]).toEqual([401, 200]);
  });
});

describe('nothing leaks', () => {
  it('no secret, token or signature appears in any response or log line of this file', () => {
    const signatures = logs.raw.join('\n').match(/v1,[A-Za-z0-9+/=]{20,}/g) ?? [];
    const haystack = [...answers.map((a) => a.body), ...logs.raw].join('\n');

    expect(answers.length).toBeGreaterThan(30);
    for (const secret of [
      OLD_SECRET,
      NEW_SECRET,
      OLD_SECRET.slice(6),
      NEW_SECRET.slice(6),
      CI_TOKEN,
      PLAIN_TOKEN,
    ]) {
      expect(haystack).not.toContain(secret);
    }
    expect(signatures).toEqual([]);
  });
});
