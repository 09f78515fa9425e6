import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../shared/errors.js';
import { parseTimerPayload } from '../../../shared/scheduler/index.js';

describe('parseTimerPayload', () => {
  it.each([
    [
      'the multi-group stop form',
      { action: 'stop', jobGroupIds: ['3', '7', '3'] },
      {
        kind: 'changes',
        action: 'stop',
        changes: [
          { action: 'stop', jobGroupId: '3' },
          { action: 'stop', jobGroupId: '7' },
        ],
      },
    ],
    [
      'the multi-group scale form',
      { action: 'scale', jobGroupIds: ['3'], planedJobCount: 4 },
      {
        kind: 'changes',
        action: 'scale',
        changes: [{ action: 'scale', jobGroupId: '3', planedJobCount: 4 }],
      },
    ],
    [
      'the single-group form',
      { action: 'start', jobGroupId: '4' },
      { kind: 'changes', action: 'start', changes: [{ action: 'start', jobGroupId: '4' }] },
    ],
    [
      'the batch form',
      {
        changes: [
          { action: 'stop', jobGroupId: '1' },
          { action: 'set-params', jobGroupId: '2', params: { ES_ENABLE: true } },
        ],
      },
      {
        kind: 'changes',
        action: 'batch',
        changes: [
          { action: 'stop', jobGroupId: '1' },
          { action: 'set-params', jobGroupId: '2', params: { ES_ENABLE: true } },
        ],
      },
    ],
    ['a reconcile', { action: 'reconcile' }, { kind: 'reconcile' }],
    [
      'a reconcile shard (duplicates dropped)',
      { action: 'reconcile', jobGroupIds: ['5', '1', '5'] },
      { kind: 'reconcile', shard: ['5', '1'] },
    ],
    [
      "a shard with its parent's listing pages and its share of the budget",
      { action: 'reconcile', jobGroupIds: ['101', '7'], pages: [2, 1, 2], qps: 2.5 },
      { kind: 'reconcile', shard: ['101', '7'], pages: [2, 1], qps: 2.5 },
    ],
  ])('parses %s', (_name, payload, expected) => {
    expect(parseTimerPayload(payload)).toEqual(expected);
  });

  it.each([
    ['a string', 'stop', 'payload'],
    ['an array', [{ action: 'stop' }], 'payload'],
    ['an object with neither action nor changes', { jobGroupIds: ['3'] }, 'payload'],
    ['an unknown action', { action: 'reboot', jobGroupIds: ['3'] }, 'payload.action'],
    ['a scale without a count', { action: 'scale', jobGroupIds: ['3'] }, 'payload.planedJobCount'],
    [
      'a count over the limit',
      { action: 'scale', jobGroupIds: ['3'], planedJobCount: 10_000_000 },
      'payload.planedJobCount',
    ],
    ['no job groups', { action: 'stop', jobGroupIds: [] }, 'payload.jobGroupIds'],
    ['an id with a slash', { action: 'stop', jobGroupIds: ['a/b'] }, 'payload.jobGroupIds[0]'],
    ['a misspelt key', { action: 'stop', jobGroupIDs: ['3'] }, 'payload.jobGroupIDs'],
    [
      'a bad change in a batch',
      { changes: [{ action: 'stop', jobGroupId: '1' }, { action: 'stop' }] },
      'payload.changes[1].jobGroupId',
    ],
    [
      'too many changes',
      { changes: Array.from({ length: 501 }, () => ({ action: 'stop', jobGroupId: '1' })) },
      'payload.changes',
    ],
    ['a reconcile with an unknown key', { action: 'reconcile', dryRun: true }, 'payload.dryRun'],
    ['a reconcile shard with a bad id', { action: 'reconcile', jobGroupIds: [''] }, 'payload.jobGroupIds[0]'],
    ['listing pages without the shard they belong to', { action: 'reconcile', pages: [1] }, 'payload.pages'],
    ['a page 0', { action: 'reconcile', jobGroupIds: ['1'], pages: [0] }, 'payload.pages[0]'],
    ['a share of no calls at all', { action: 'reconcile', jobGroupIds: ['1'], qps: 0 }, 'payload.qps'],
  ])('rejects %s with INVALID_INPUT naming %s', (_name, payload, field) => {
    let error: unknown;
    try {
      parseTimerPayload(payload);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AutopilotError);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field });
    expect((error as AutopilotError).message.startsWith(field)).toBe(true);
  });

  it('suggests the field a misspelt key most likely meant', () => {
    expect(() => parseTimerPayload({ action: 'stop', jobGroupIDs: ['3'] })).toThrow(
      /did you mean "jobGroupIds"/,
    );
  });
});
