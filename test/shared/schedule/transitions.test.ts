import { describe, expect, it } from 'vitest';
import { occurrencesBetween, planTransitions } from '../../../shared/schedule/index.js';
import { schedule } from './helpers.js';

const SHANGHAI = 'Asia/Shanghai';

/** Transitions as compact rows, for whole-list comparisons. */
function rows(transitions: ReturnType<typeof planTransitions>) {
  return transitions.map(({ at, jobGroupId, set, window, schedule }) => ({
    at: at.toISOString(),
    jobGroupId,
    set,
    window,
    schedule,
  }));
}

describe('planTransitions', () => {
  it('plans a weekday peak over a week, one entry per group, groups in numeric order', () => {
    const eastDistrict = schedule({
      name: 'east-district',
      jobGroupIds: ['10', '9'],
      windows: [
        {
          name: 'weekday-peak',
          days: 'mon-fri',
          from: '07:30',
          to: '21:00',
          set: { planedJobCount: 20, status: 'Running' },
        },
      ],
      otherwise: { planedJobCount: 2 },
    });

    const planned = planTransitions(
      [eastDistrict],
      SHANGHAI,
      new Date('2026-06-04T00:00:00Z'),
      new Date('2026-06-08T00:00:00Z'),
    );

    const on = { planedJobCount: 20, status: 'Running' };
    const off = { planedJobCount: 2 };
    const both = (at: string, set: object, window: string) =>
      ['9', '10'].map((jobGroupId) => ({ at, jobGroupId, set, window, schedule: 'east-district' }));
    expect(rows(planned)).toEqual([
      ...both('2026-06-04T13:00:00.000Z', off, 'otherwise'),
      ...both('2026-06-04T23:30:00.000Z', on, 'weekday-peak'),
      ...both('2026-06-05T13:00:00.000Z', off, 'otherwise'),
      ...both('2026-06-07T23:30:00.000Z', on, 'weekday-peak'),
    ]);
  });

  it('sorts by time, then job group id numeric-aware across schedules', () => {
    const daily = (name: string, jobGroupIds: string[]) =>
      schedule({
        name,
        jobGroupIds,
        windows: [{ days: 'daily', from: '08:00', to: '09:00', set: { planedJobCount: 1 } }],
      });

    const planned = planTransitions(
      [daily('a', ['20', 'b-1']), daily('b', ['3', '100'])],
      SHANGHAI,
      new Date('2026-05-31T23:00:00Z'),
      new Date('2026-06-01T00:30:00Z'),
    );

    expect(planned.map((t) => [t.jobGroupId, t.schedule])).toEqual([
      ['3', 'b'],
      ['20', 'a'],
      ['100', 'b'],
      ['b-1', 'a'],
    ]);
  });

  it('reports a window in the repeated autumn hour once: on at the first 01:00, off at the first 01:45', () => {
    const smallHours = schedule({
      timezone: 'America/New_York',
      windows: [
        { name: 'small-hours', days: 'daily', from: '01:00', to: '01:45', set: { planedJobCount: 4 } },
      ],
    });

    const planned = planTransitions(
      [smallHours],
      SHANGHAI,
      new Date('2026-11-01T03:00:00Z'),
      new Date('2026-11-01T09:00:00Z'),
    );

    expect(rows(planned).map(({ at, window }) => [at, window])).toEqual([
      ['2026-11-01T05:00:00.000Z', 'small-hours'],
      ['2026-11-01T05:45:00.000Z', 'otherwise'],
    ]);
  });

  it('reports nothing for a window that lies wholly in the spring gap', () => {
    const inGap = schedule({
      timezone: 'America/New_York',
      windows: [{ days: 'sun', from: '02:00', to: '02:45', set: { planedJobCount: 4 } }],
    });

    const planned = planTransitions(
      [inGap],
      SHANGHAI,
      new Date('2026-03-08T00:00:00Z'),
      new Date('2026-03-09T00:00:00Z'),
    );

    expect(planned).toEqual([]);
  });

  it('includes a change at `to` and excludes one at `from`', () => {
    const morning = schedule({
      windows: [{ days: 'daily', from: '08:00', to: '09:00', set: { jobCount: 1 } }],
    });

    const planned = planTransitions(
      [morning],
      SHANGHAI,
      new Date('2026-06-01T00:00:00Z'),
      new Date('2026-06-02T00:00:00Z'),
    );

    expect(rows(planned).map(({ at }) => at)).toEqual([
      '2026-06-01T01:00:00.000Z',
      '2026-06-02T00:00:00.000Z',
    ]);
  });

  it('returns nothing for an empty or reversed range', () => {
    const morning = schedule({
      windows: [{ days: 'daily', from: '08:00', to: '09:00', set: { jobCount: 1 } }],
    });
    const at = new Date('2026-06-01T00:00:00Z');

    expect(planTransitions([morning], SHANGHAI, at, at)).toEqual([]);
    expect(planTransitions([morning], SHANGHAI, at, new Date('2026-05-01T00:00:00Z'))).toEqual([]);
  });

  it('skips instants where the active windows change but the target does not', () => {
    const handOver = schedule({
      windows: [
        { name: 'morning', days: 'daily', from: '08:00', to: '12:00', set: { planedJobCount: 5 } },
        { name: 'afternoon', days: 'daily', from: '12:00', to: '18:00', set: { planedJobCount: 5 } },
      ],
    });

    const planned = planTransitions(
      [handOver],
      SHANGHAI,
      new Date('2026-05-31T23:00:00Z'),
      new Date('2026-06-01T12:00:00Z'),
    );

    expect(rows(planned).map(({ at, set, window }) => [at, set, window])).toEqual([
      ['2026-06-01T00:00:00.000Z', { planedJobCount: 5 }, 'morning'],
      ['2026-06-01T10:00:00.000Z', {}, 'otherwise'],
    ]);
  });

  it('carries the full merged target and joins overlapping window names with +', () => {
    const layered = schedule({
      windows: [
        {
          name: 'base',
          days: 'daily',
          from: '08:00',
          to: '18:00',
          set: { planedJobCount: 10, status: 'Stopped' },
        },
        {
          name: 'boost',
          days: 'daily',
          from: '12:00',
          to: '14:00',
          set: { planedJobCount: 20, status: 'Running' },
        },
      ],
      otherwise: { planedJobCount: 2 },
    });

    const planned = planTransitions(
      [layered],
      SHANGHAI,
      new Date('2026-06-01T03:00:00Z'),
      new Date('2026-06-01T07:00:00Z'),
    );

    expect(rows(planned).map(({ at, set, window }) => [at, set, window])).toEqual([
      ['2026-06-01T04:00:00.000Z', { planedJobCount: 20, status: 'Running' }, 'base+boost'],
      ['2026-06-01T06:00:00.000Z', { planedJobCount: 10, status: 'Stopped' }, 'base'],
    ]);
  });

  it('sees an occurrence that started two days before `from` only through its effect on the baseline', () => {
    const weekend = schedule({
      windows: [{ name: 'weekend', days: 'sat', from: '00:00', to: '00:00', set: { planedJobCount: 3 } }],
    });

    // Saturday 00:00 to Sunday 00:00 Shanghai; the range starts on Saturday evening.
    const planned = planTransitions(
      [weekend],
      SHANGHAI,
      new Date('2026-06-06T12:00:00Z'),
      new Date('2026-06-07T12:00:00Z'),
    );

    expect(rows(planned).map(({ at, set }) => [at, set])).toEqual([['2026-06-06T16:00:00.000Z', {}]]);
  });
});

describe('occurrencesBetween', () => {
  it('lists non-empty occurrences overlapping the range, with their local start date', () => {
    const nights = schedule({
      timezone: 'America/New_York',
      windows: [
        { name: 'night', days: 'sat,sun', from: '23:00', to: '01:00', set: { planedJobCount: 1 } },
        { name: 'gap', days: 'sun', from: '02:00', to: '02:30', set: { jobCount: 1 } },
      ],
    });

    const found = occurrencesBetween(
      nights,
      SHANGHAI,
      new Date('2026-03-08T00:00:00Z'),
      new Date('2026-03-09T05:00:00Z'),
    );

    expect(
      found.map(({ window, date, start, end }) => [window, date, start.toISOString(), end.toISOString()]),
    ).toEqual([
      ['night', { year: 2026, month: 3, day: 7 }, '2026-03-08T04:00:00.000Z', '2026-03-08T06:00:00.000Z'],
      ['night', { year: 2026, month: 3, day: 8 }, '2026-03-09T03:00:00.000Z', '2026-03-09T05:00:00.000Z'],
    ]);
  });
});
