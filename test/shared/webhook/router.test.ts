import { describe, expect, it } from 'vitest';
import { createRouter, WEBHOOK_ROUTES, type WebhookRoute } from '../../../shared/webhook/index.js';

const route = (method: WebhookRoute['method'], path: string): WebhookRoute => ({
  method,
  path,
  action: 'test',
  access: 'public',
  body: 'none',
  handle: async () => ({ status: 200, body: {} }),
});

describe('webhook router', () => {
  const router = createRouter(WEBHOOK_ROUTES);

  it.each([
    ['POST', '/v1/job-groups/3/scale', '/v1/job-groups/:jobGroupId/scale', { jobGroupId: '3' }],
    ['POST', '/v1/job-groups/a_B-9/stop', '/v1/job-groups/:jobGroupId/stop', { jobGroupId: 'a_B-9' }],
    ['POST', '/v1/job-groups/7/start/', '/v1/job-groups/:jobGroupId/start', { jobGroupId: '7' }],
    ['PATCH', '/v1/job-groups/3', '/v1/job-groups/:jobGroupId', { jobGroupId: '3' }],
    ['POST', '/v1/batch', '/v1/batch', {}],
    ['GET', '/healthz', '/healthz', {}],
    ['HEAD', '/healthz', '/healthz', {}],
    ['POST', '/v1/job-groups/a%2Fb/scale', '/v1/job-groups/:jobGroupId/scale', { jobGroupId: 'a/b' }],
    ['POST', '/v1/job-groups/%E4%B8/scale', '/v1/job-groups/:jobGroupId/scale', { jobGroupId: '%E4%B8' }],
  ])('%s %s matches %s with %o', (method, path, pattern, params) => {
    const match = router.match(method, path);

    expect(match).toMatchObject({ kind: 'found', route: { path: pattern }, params });
  });

  it.each([
    ['GET', '/v1/batch', ['POST']],
    ['DELETE', '/v1/job-groups/3', ['PATCH', 'GET', 'HEAD']],
    ['POST', '/healthz', ['GET', 'HEAD']],
    ['HEAD', '/v1/batch', ['POST']],
  ])('%s %s is a wrong method; allowed: %o', (method, path, allow) => {
    expect(router.match(method, path)).toEqual({ kind: 'method-not-allowed', allow });
  });

  it.each([
    '/',
    '',
    '/v1',
    '/v1/job-groups//scale',
    '/v1/job-groups/3/scale/more',
    '/V1/batch',
    '//v1/batch',
  ])('%s is not a route', (path) => {
    expect(router.match('POST', path)).toEqual({ kind: 'not-found' });
  });

  it('refuses two routes with the same method and shape when compiled', () => {
    expect(() => createRouter([route('POST', '/a/:x'), route('POST', '/a/:y')])).toThrow(/duplicate/);
  });

  it('prefers the first matching route and lists every other method of the path', () => {
    const router = createRouter([route('GET', '/a/:x'), route('POST', '/a/:x'), route('GET', '/a/b')]);

    expect(router.match('GET', '/a/b')).toMatchObject({ kind: 'found', params: { x: 'b' } });
    expect(router.match('PUT', '/a/b')).toEqual({
      kind: 'method-not-allowed',
      allow: ['GET', 'HEAD', 'POST'],
    });
  });
});
