import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/webhook/handler.js';
import { bearer, httpEvent, invoke, signed, upstreamDuring, useWebhookEmulator } from './helpers.js';

// The exact texts of the mistakes callers make most, in our words (never the schema library's).
const { emu } = useWebhookEmulator();

const scale = (body: unknown) =>
  bearer(httpEvent('scale', { path: '/v1/job-groups/3/scale', body: JSON.stringify(body) }));
const batch = (changes: unknown[]) =>
  bearer(httpEvent('scale', { path: '/v1/batch', body: JSON.stringify({ changes }) }));

describe('validation messages in one voice', () => {
  it.each([
    [{ planedJobCount: '12' }, 'planedJobCount: expected a whole number, got the string "12"'],
    [{ planedJobCount: 12.5 }, 'planedJobCount: expected a whole number, got 12.5'],
    [{ planedJobCount: -3 }, 'planedJobCount: must be at least 0, got -3'],
    [{}, 'planedJobCount: is required'],
    [{ planedJobCount: true }, 'planedJobCount: expected a whole number, got true'],
  ])('scale %j → 400 "%s", nothing sent', async (body, message) => {
    const { result, requests } = await upstreamDuring(emu, () => invoke(handler, scale(body)));

    expect(result.status).toBe(400);
    expect(result.json.error).toMatchObject({ code: 'INVALID_INPUT', message });
    expect(requests).toBe(0);
  });

  it('an unknown action lists the actions as the README quotes them', async () => {
    const answer = await invoke(handler, batch([{ action: 'resize', jobGroupId: '3', planedJobCount: 2 }]));

    const [entry] = answer.json.results as Array<{ error?: { message: string } }>;
    expect(entry?.error?.message).toBe(
      'changes[0].action: unknown action "resize": use one of `scale`, `stop`, `start`, `set-params`, `modify`',
    );
  });

  it('an action that is not a string, or a huge one, is named briefly, never echoed whole', async () => {
    const answer = await invoke(
      handler,
      batch([
        { action: { a: 'x'.repeat(5000) }, jobGroupId: '3' },
        { action: 'y'.repeat(5000), jobGroupId: '3' },
      ]),
    );

    const [first, second] = answer.json.results as Array<{ error?: { message: string } }>;
    expect(first?.error?.message).toBe(
      'changes[0].action: unknown action an object: use one of `scale`, `stop`, `start`, `set-params`, `modify`',
    );
    expect(second?.error?.message.length).toBeLessThan(200);
    expect(JSON.stringify(answer.json).length).toBeLessThan(4_000);
  });

  it('a status in the wrong case says which values are accepted', async () => {
    const event = bearer(
      httpEvent('scale', {
        method: 'PATCH',
        path: '/v1/job-groups/3',
        body: JSON.stringify({ status: 'running' }),
      }),
    );

    const answer = await invoke(handler, event);

    expect(answer.status).toBe(400);
    expect(answer.json.error?.message).toBe(
      'status: expected one of `Running`, `Stopped`, got the string "running"',
    );
  });

  it('a webhook-timestamp in milliseconds says the timestamp must be in seconds', async () => {
    const event = signed(
      httpEvent('scale', { path: '/v1/job-groups/3/scale', body: '{"planedJobCount":4}' }),
    );
    event.headers['Webhook-Timestamp'] = String(Date.now());

    const { result, requests } = await upstreamDuring(emu, () => invoke(handler, event));

    expect(result.status).toBe(401);
    expect(result.json.error?.message).toBe(
      `webhook-timestamp must be in seconds since the Unix epoch; ${event.headers['Webhook-Timestamp']} looks like milliseconds (divide by 1000).`,
    );
    expect(requests).toBe(0);
  });

  it('a missing signature header is named', async () => {
    const event = signed(
      httpEvent('scale', { path: '/v1/job-groups/3/scale', body: '{"planedJobCount":4}' }),
    );
    delete event.headers['Webhook-Signature'];

    const answer = await invoke(handler, event);

    expect(answer.status).toBe(401);
    expect(answer.json.error?.message).toContain('webhook-signature is missing');
  });
});
