import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../../shared/fc/http.js';
import { createMemoryStore } from '../../../shared/state/memory.js';
import { claimRequest, completeRequest, releaseRequest } from '../../../shared/webhook/idempotency.js';

const request = (body = '{"planedJobCount":12}'): HttpRequest => ({
  method: 'POST',
  path: '/v1/job-groups/3/scale',
  rawPath: '/v1/job-groups/3/scale',
  headers: {},
  query: {},
  body: Buffer.from(body),
});

describe('idempotency claims', () => {
  it('answers 409 REQUEST_IN_PROGRESS with Retry-After while the first request runs, on any instance', async () => {
    const store = createMemoryStore();
    const deadline = Date.now() + 10_000;
    const first = await claimRequest(store, 'idem/sig/msg_1', request(), deadline);

    const second = claimRequest(store, 'idem/sig/msg_1', request(), deadline);

    expect(first.kind).toBe('claimed');
    await expect(second).rejects.toMatchObject({ code: 'REQUEST_IN_PROGRESS', status: 409, retryable: true });
    await expect(second).rejects.toHaveProperty('retryAfterSeconds', 15);
  });

  it('a claim of an instance that died frees itself after the deadline', async () => {
    let now = 1_000_000;
    const store = createMemoryStore({ now: () => now });
    await claimRequest(store, 'idem/sig/msg_2', request(), now + 1_000, now);
    now += 6_001;

    const again = await claimRequest(store, 'idem/sig/msg_2', request(), now + 1_000, now);

    expect(again.kind).toBe('claimed');
  });

  it('replays the completed answer; a released id runs again', async () => {
    const store = createMemoryStore();
    const deadline = Date.now() + 10_000;
    const claimed = await claimRequest(store, 'idem/sig/a', request(), deadline);
    if (claimed.kind !== 'claimed') throw new Error('not claimed');
    await completeRequest(store, claimed.claim, { status: 200, body: '{"ok":true}\n', headers: {} });
    const failed = await claimRequest(store, 'idem/sig/b', request(), deadline);
    if (failed.kind !== 'claimed') throw new Error('not claimed');
    await releaseRequest(store, failed.claim);

    expect(await claimRequest(store, 'idem/sig/a', request(), deadline)).toEqual({
      kind: 'replay',
      status: 200,
      body: '{"ok":true}\n',
      headers: {},
    });
    expect((await claimRequest(store, 'idem/sig/b', request(), deadline)).kind).toBe('claimed');
  });

  it('keeps a finished answer for at least 24 hours', async () => {
    let now = 0;
    const store = createMemoryStore({ now: () => now });
    const claimed = await claimRequest(store, 'idem/sig/c', request(), 1_000, now);
    if (claimed.kind !== 'claimed') throw new Error('not claimed');
    await completeRequest(store, claimed.claim, { status: 200, body: '{}', headers: {} }, now);
    now = 24 * 3_600_000 - 1;

    expect((await claimRequest(store, 'idem/sig/c', request(), now + 1_000, now)).kind).toBe('replay');
  });
});
