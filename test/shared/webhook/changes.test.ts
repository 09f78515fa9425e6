import { describe, expect, it } from 'vitest';
import { AutopilotError, type ErrorCode } from '../../../shared/errors.js';
import { type BatchEntry, batchAnswer } from '../../../shared/webhook/changes.js';

const ok = (index: number): BatchEntry => ({
  index,
  action: 'stop',
  status: 200,
  jobGroupId: '3',
  changed: true,
  dryRun: false,
  requestId: 'RID',
  applied: {},
});
const failed = (index: number, code: ErrorCode, retryAfterSeconds?: number): BatchEntry => {
  const error = new AutopilotError(code, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  return { index, status: error.status, error: error.toPublic() };
};

describe('batchAnswer', () => {
  it.each<[string, number, number, BatchEntry[]]>([
    ['every change succeeded', 207, 0, [ok(0), ok(1)]],
    [
      'every failure is permanent',
      207,
      0,
      [ok(0), failed(1, 'InvalidJobGroupId.NotFound'), failed(2, 'INVALID_INPUT')],
    ],
    ['a CityVisual 5xx', 503, 1, [ok(0), failed(1, 'InternalError')]],
    ['CityVisual unavailable', 503, 1, [failed(0, 'ServiceUnavailable')]],
    ['a timeout', 503, 1, [failed(0, 'UPSTREAM_TIMEOUT')]],
    ['the invocation deadline', 503, 1, [failed(0, 'DEADLINE_EXCEEDED')]],
    ['an unreadable answer (details hidden)', 503, 1, [failed(0, 'UPSTREAM_UNREADABLE')]],
    ['throttling', 429, 1, [failed(0, 'Throttling', 5), failed(1, 'INVALID_INPUT')]],
    ['throttling beside a 5xx', 429, 2, [failed(0, 'InternalError'), failed(1, 'Throttling.User', 5)]],
  ])('answers %s with %i', (_case, status, retryable, results) => {
    expect(batchAnswer(results)).toMatchObject({ status, retryable });
  });

  it('asks to wait as long as the longest retryable failure asked, at least a second, and nothing for a 207', () => {
    expect(batchAnswer([failed(0, 'ServiceUnavailable')]).retryAfterSeconds).toBe(1);
    expect(batchAnswer([failed(0, 'InternalError'), failed(1, 'Throttling.Api', 5)]).retryAfterSeconds).toBe(
      5,
    );
    expect(batchAnswer([ok(0), failed(1, 'JOB_GROUP_NOT_REGISTERED')]).retryAfterSeconds).toBeUndefined();
  });
});
