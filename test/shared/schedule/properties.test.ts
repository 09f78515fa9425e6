import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Target } from '../../../shared/jobgroup/target.js';
import {
  desiredAt,
  instantToLocal,
  type LocalDateTime,
  localToInstant,
  planTransitions,
  type Schedule,
} from '../../../shared/schedule/index.js';
import { schedule } from './helpers.js';

const MINUTE = 60_000;
const ZONES = ['Asia/Shanghai', 'Europe/London', 'America/New_York', 'Australia/Lord_Howe'] as const;
// Extra zones for the round trip: a midnight fall-back (Santiago) and a 45-minute offset (Chatham).
const ROUND_TRIP_ZONES = [...ZONES, 'America/Santiago', 'Pacific/Chatham', 'UTC'] as const;

/** Days (UTC midnight) where DST, month, year or leap-day edges meet; ranges start near them. */
const EDGES = [
  '2026-03-08', // New York springs forward
  '2026-11-01', // New York falls back
  '2026-03-29', // London springs forward
  '2026-10-25', // London falls back
  '2026-04-05', // Lord Howe falls back half an hour
  '2026-10-04', // Lord Howe springs forward half an hour
  '2026-05-31', // a month end on a Sunday
  '2026-12-31', // a year end
  '2028-02-29', // a leap day
].map((day) => Date.parse(`${day}T00:00:00Z`));

const clock = fc
  .tuple(
    // Half the times in the small hours, where the transitions are.
    fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 23 })),
    fc.oneof(fc.constantFrom(0, 15, 30, 45), fc.integer({ min: 0, max: 59 })),
  )
  .map(([hour, minute]) => `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`);

const target = fc
  .record(
    {
      planedJobCount: fc.integer({ min: 0, max: 30 }),
      jobCount: fc.integer({ min: 0, max: 5 }),
      status: fc.constantFrom('Running' as const, 'Stopped' as const),
      params: fc.record({ ES_ENABLE: fc.boolean() }), // `params: {}` is refused: it sets nothing
    },
    { requiredKeys: [] },
  )
  .filter((set) => Object.keys(set).length > 0);

const windowArbitrary = fc.record({
  days: fc.constantFrom(
    'daily',
    'mon-fri',
    'sat,sun',
    'fri-mon',
    'sun',
    'sat#1',
    'fri#L',
    'sun#1',
    'sun#L',
    'tue#5',
  ),
  from: clock,
  to: clock,
  set: target,
});

const scheduleArbitrary = fc
  .record({
    timezone: fc.constantFrom(...ZONES),
    windows: fc.array(windowArbitrary, { minLength: 1, maxLength: 3 }),
    otherwise: fc.option(target, { nil: undefined }),
    except: fc.subarray([
      '2026-03-08',
      '2026-10-24..2026-10-26',
      '2026-12-30..2027-01-02',
      '2028-02-29',
      '2026-05-30',
    ]),
  })
  .map((fields) => schedule({ ...fields, jobGroupIds: ['10', '9'] }));

const range = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...EDGES),
      fc
        .integer({
          min: Date.parse('2026-01-01T00:00:00Z') / MINUTE,
          max: Date.parse('2028-12-31T00:00:00Z') / MINUTE,
        })
        .map((m) => m * MINUTE),
    ),
    fc.integer({ min: -2 * 1440, max: 1440 }),
    fc.integer({ min: 60, max: 3 * 1440 }),
  )
  .map(([edge, shift, minutes]) => {
    const from = edge + shift * MINUTE;
    return { from: new Date(from), to: new Date(from + minutes * MINUTE) };
  });

/** Every minute in (from, to] where desiredAt differs from the minute before, found the slow way. */
function changesMinuteByMinute(subject: Schedule, from: Date, to: Date) {
  const changes: Array<{ at: number; set: Target; window: string }> = [];
  let previous = desiredAt(subject, from, 'UTC').target;
  for (let at = from.getTime() + MINUTE; at <= to.getTime(); at += MINUTE) {
    const desired = desiredAt(subject, new Date(at), 'UTC');
    if (!isDeepStrictEqual(desired.target, previous)) {
      changes.push({ at, set: desired.target, window: desired.windows.join('+') });
    }
    previous = desired.target;
  }
  return changes;
}

describe('planTransitions (property)', () => {
  it('reports exactly the minutes where desiredAt changes, with the target desiredAt gives there', () => {
    fc.assert(
      fc.property(scheduleArbitrary, range, (subject, { from, to }) => {
        const planned = planTransitions([subject], 'UTC', from, to);

        const expected = changesMinuteByMinute(subject, from, to).flatMap((change) =>
          ['9', '10'].map((jobGroupId) => ({ ...change, jobGroupId, schedule: 'test' })),
        );
        expect(planned.map(({ at, ...rest }) => ({ at: at.getTime(), ...rest }))).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });
});

const localArbitrary = fc
  .record({
    year: fc.integer({ min: 2020, max: 2035 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
    // Half the times in the small hours, where the transitions are.
    hour: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 23 })),
    minute: fc.integer({ min: 0, max: 59 }),
  })
  .filter(({ year, month, day }) => new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day);
// Wall-clock times in the small hours of the transition days, so gaps and overlaps come up often.
const localNearEdge = fc
  .record({
    edge: fc.constantFrom(...EDGES),
    hour: fc.integer({ min: 0, max: 3 }),
    minute: fc.integer({ min: 0, max: 59 }),
  })
  .map(({ edge, hour, minute }) => {
    const date = new Date(edge);
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour,
      minute,
    };
  });

const wallClock = (local: LocalDateTime) =>
  Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
const sameWallClock = (a: LocalDateTime, b: LocalDateTime) => wallClock(a) === wallClock(b);

describe('localToInstant and instantToLocal (property)', () => {
  it('round-trip every local time that exists, landing on its first occurrence', () => {
    const instant = fc
      .integer({
        min: Date.parse('2020-01-01T00:00:00Z') / MINUTE,
        max: Date.parse('2035-12-31T00:00:00Z') / MINUTE,
      })
      .map((minutes) => minutes * MINUTE);
    // Bias towards the hours around the transitions of 2026.
    const nearEdge = fc
      .tuple(fc.constantFrom(...EDGES), fc.integer({ min: -1440, max: 1440 }))
      .map(([edge, minutes]) => edge + minutes * MINUTE);

    fc.assert(
      fc.property(fc.constantFrom(...ROUND_TRIP_ZONES), fc.oneof(instant, nearEdge), (zone, at) => {
        const local = instantToLocal(new Date(at), zone);

        const back = localToInstant(local, zone).getTime();

        expect(sameWallClock(instantToLocal(new Date(back), zone), local)).toBe(true);
        expect(back).toBeLessThanOrEqual(at);
        for (const earlier of [15, 30, 45, 60, 90, 120]) {
          expect(sameWallClock(instantToLocal(new Date(back - earlier * MINUTE), zone), local)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('resolve a local time that does not exist to the instant its gap ends', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ROUND_TRIP_ZONES),
        fc.oneof({ arbitrary: localArbitrary, weight: 1 }, { arbitrary: localNearEdge, weight: 3 }),
        (zone, local) => {
          const at = localToInstant(local, zone).getTime();

          const reading = instantToLocal(new Date(at), zone);
          if (sameWallClock(reading, local)) return;
          // A gap: the wall clock jumps over `local` exactly at `at`.
          expect(wallClock(instantToLocal(new Date(at - 1000), zone))).toBeLessThan(wallClock(local));
          expect(wallClock(reading)).toBeGreaterThan(wallClock(local));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['America/New_York', { year: 2026, month: 3, day: 8, hour: 2, minute: 30 }],
    ['Europe/London', { year: 2026, month: 3, day: 29, hour: 1, minute: 30 }],
    ['Australia/Lord_Howe', { year: 2026, month: 10, day: 4, hour: 2, minute: 15 }],
  ])('finds the gap in %s (the generator above can reach gaps)', (zone, local) => {
    const at = localToInstant(local, zone);

    expect(sameWallClock(instantToLocal(at, zone), local)).toBe(false);
  });
});
