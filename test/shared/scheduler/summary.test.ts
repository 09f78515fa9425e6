import { describe, expect, it } from 'vitest';
import { MAX_SHARD_SIZE, ReconcileSettingsSchema } from '../../../shared/config/core.js';
import { decodeTimerEvent } from '../../../shared/fc/timer.js';
import {
  buildShardEvent,
  MAX_SHARD_EVENT_BYTES,
  summarize,
  summaryError,
  summaryForLog,
} from '../../../shared/scheduler/index.js';

const base = {
  action: 'reconcile',
  tick: '2026-06-01T00:00:00.000Z',
  trigger: 'every-5m',
  applied: [],
  unchanged: [],
};

/** A job group id of the longest allowed length (64 characters). */
const longId = (i: number) => `g${String(i).padStart(63, '0')}`;
/** `count` such ids. */
const longIds = (count: number) => Array.from({ length: count }, (_, i) => longId(i));
/** Each group held off by 500 pins. */
const heldByManyPins = (ids: readonly string[]) =>
  ids.map((jobGroupId) => ({
    jobGroupId,
    holds: Array.from({ length: 500 }, (_, k) => `${jobGroupId}~${String(k).padStart(12, '0')}`),
  }));

describe('tick summaries', () => {
  it('counts every list, so counts never disagree with them', () => {
    const summary = summarize({
      ...base,
      due: ['1', '2', '3'],
      applied: [{ jobGroupId: '1', requestId: 'r1', set: { planedJobCount: 2 } }],
      unchanged: ['2'],
      failed: [{ jobGroupId: '3', code: 'Throttling', retryable: true, message: 'm' }],
    });

    expect(summary.counts).toEqual({ due: 3, applied: 1, unchanged: 1, failed: 1, delegated: 0 });
  });

  it.each([
    [
      [
        { jobGroupId: '1', code: 'Throttling', retryable: true, message: 'm' },
        { jobGroupId: '2', code: 'JOB_GROUP_NOT_REGISTERED', retryable: false, message: 'm' },
      ],
      'RECONCILE_INCOMPLETE',
      true,
    ],
    [
      [{ jobGroupId: '2', code: 'JOB_GROUP_NOT_REGISTERED', retryable: false, message: 'm' }],
      'RECONCILE_FAILED',
      false,
    ],
  ])('turns failures into one error carrying the summary (%#)', (failed, code, retryable) => {
    const summary = summarize({ ...base, due: failed.map((f) => f.jobGroupId), failed });

    const error = summaryError(summary);

    expect(error).toMatchObject({ code, retryable, details: { summary } });
    expect(error.message).toContain(`${failed.length} failed`);
    expect(error.message).toContain('2 JOB_GROUP_NOT_REGISTERED');
  });

  it('logs a large summary cut down to its counts and first failures', () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => String(i));
    const summary = summarize({
      ...base,
      due: ids,
      applied: ids
        .slice(0, 1_000)
        .map((jobGroupId) => ({ jobGroupId, requestId: 'x'.repeat(36), set: { planedJobCount: 1 } })),
      failed: ids
        .slice(1_000)
        .map((jobGroupId) => ({ jobGroupId, code: 'Throttling', retryable: true, message: 'm' })),
    });

    const line = summaryForLog(summary);

    expect(line).toMatchObject({ truncated: true, counts: summary.counts });
    expect((line.failed as unknown[]).length).toBe(100);
    expect(JSON.stringify(line).length).toBeLessThan(24_000);
  });

  it('logs the groups holds kept a change off as a count and the first few, however many holds each has', () => {
    const id = longId;
    const ids = longIds(300);
    const summary = summarize({
      ...base,
      due: ids,
      applied: [],
      unchanged: ids,
      held: heldByManyPins(ids),
      failed: [],
    });

    const line = summaryForLog(summary);

    expect(line).toMatchObject({ truncated: true, heldCount: 300 });
    expect(line.held).toHaveLength(20);
    expect((line.held as Array<Record<string, unknown>>)[0]).toEqual({
      jobGroupId: id(0),
      holds: [`${id(0)}~000000000000`, `${id(0)}~000000000001`, `${id(0)}~000000000002`],
      moreHolds: 497,
    });
    expect(JSON.stringify(line).length).toBeLessThan(24_000);
  });

  it('logs fewer failures and held groups until the line fits, with long ids and messages', () => {
    const ids = longIds(400);
    const summary = summarize({
      ...base,
      due: ids,
      applied: [],
      unchanged: ids.slice(100),
      held: heldByManyPins(ids.slice(100)),
      failed: ids.slice(0, 100).map((jobGroupId) => ({
        jobGroupId,
        code: 'InvalidJobGroupId.NotFound',
        retryable: false,
        message: 'm'.repeat(141),
      })),
    });

    const line = summaryForLog(summary);

    expect(JSON.stringify(line).length).toBeLessThanOrEqual(24_000);
    expect(line).toMatchObject({ truncated: true, heldCount: 300, counts: { failed: 100 } });
    expect((line.failed as unknown[]).length).toBeGreaterThan(0);
    expect((line.held as unknown[]).length).toBeGreaterThan(0);
  });

  it('builds a shard event the timer adapter decodes back to the parent tick and a shard payload', () => {
    const tick = { tick: new Date('2026-06-01T00:00:00Z'), trigger: 'every-5m' };

    const decoded = decodeTimerEvent(buildShardEvent(tick, { jobGroupIds: ['7', '8'] }, 1, 3));

    expect(decoded).toEqual({
      triggerTime: tick.tick,
      triggerName: 'every-5m#shard-2-of-3',
      payload: { action: 'reconcile', jobGroupIds: ['7', '8'] },
    });
  });

  it('refuses a shard event over the async payload limit, naming the setting to lower', () => {
    const shard = Array.from({ length: 3_000 }, (_, i) => `job-group-${String(i).padStart(40, '0')}`);

    expect(() => buildShardEvent({ tick: new Date(), trigger: 't' }, { jobGroupIds: shard }, 0, 1)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('reconcile.shardSize'),
      }),
    );
    expect(MAX_SHARD_EVENT_BYTES).toBeLessThan(128 * 1024);
  });

  it('fits the largest shard the config allows, of the longest ids, with its pages and share, under the limit', () => {
    const shard = Array.from({ length: MAX_SHARD_SIZE }, (_, i) => String(i).padStart(64, 'x'));
    // Every group on a page of its own, far into a listing of millions.
    const pages = Array.from({ length: MAX_SHARD_SIZE }, (_, i) => 1_000_000_000 + i);
    const event = buildShardEvent(
      { tick: new Date(), trigger: 'a-trigger-name-of-some-length', qps: 0.333_333_333_333_333_3 },
      { jobGroupIds: shard, pages },
      998,
      999,
    );

    expect(event.length).toBeLessThanOrEqual(MAX_SHARD_EVENT_BYTES);
    expect(ReconcileSettingsSchema.safeParse({ shardSize: MAX_SHARD_SIZE + 1 }).success).toBe(false);
  });
});
