import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { type ConfigFile, type ConfigFileSchema, checkConfig } from '../../../shared/config/file.js';
import type { Target } from '../../../shared/jobgroup/target.js';
import { desiredAt, planTransitions } from '../../../shared/schedule/index.js';
import { chunkShards, compareIds, dueGroups, lookbackMs } from '../../../shared/scheduler/index.js';

function config(input: z.input<typeof ConfigFileSchema>): ConfigFile {
  const { config: parsed, issues } = checkConfig(input);
  if (!parsed) throw new Error(JSON.stringify(issues));
  return parsed;
}

const PEAK = config({
  timezone: 'Asia/Shanghai',
  schedules: [
    {
      name: 'east',
      jobGroupIds: ['10', '2'],
      windows: [{ name: 'peak', days: 'mon-fri', from: '07:30', to: '21:00', set: { planedJobCount: 20 } }],
      otherwise: { planedJobCount: 2 },
    },
    {
      name: 'west',
      jobGroupIds: ['5'],
      enforce: true,
      windows: [{ name: 'night', days: 'daily', from: '22:00', to: '06:00', set: { status: 'Running' } }],
      otherwise: { status: 'Stopped' },
    },
  ],
});
// Monday 07:30 Asia/Shanghai.
const START = Date.parse('2026-05-31T23:30:00Z');
const at = (ms: number) => new Date(ms);

describe('dueGroups', () => {
  it('is due on the transition itself, in ids order, with the window that caused it', () => {
    const due = dueGroups({ config: PEAK, tick: at(START) });

    expect(due.map((d) => [d.jobGroupId, d.why, d.change.intent.target, d.change.cause])).toEqual([
      ['2', 'transition', { planedJobCount: 20 }, { schedule: 'east', window: 'peak' }],
      ['5', 'enforce', { status: 'Stopped' }, { schedule: 'west', window: 'otherwise' }],
      ['10', 'transition', { planedJobCount: 20 }, { schedule: 'east', window: 'peak' }],
    ]);
  });

  it.each([
    ['on the tick', true, 0],
    ['one second into the lookback', true, lookbackMs(PEAK.reconcile) - 1_000],
    ['exactly one lookback back (the previous window owned it)', false, lookbackMs(PEAK.reconcile)],
    ['before the lookback', false, lookbackMs(PEAK.reconcile) + 60_000],
  ])('a transition %s is due: %s', (_name, expected, age) => {
    const due = dueGroups({ config: PEAK, tick: at(START + age) }).filter((d) => d.why === 'transition');

    expect(due.length > 0).toBe(expected);
  });

  it('sends the state at the evaluation instant when it is later than the tick, never an earlier one', () => {
    const tick = at(START);

    expect(dueGroups({ config: PEAK, tick, at: at(START - 3_600_000) })[0]?.change.intent.target).toEqual({
      planedJobCount: 20,
    });
    // 21:05 local: the window is over; the late evaluation sends `otherwise`, the window's state never.
    expect(
      dueGroups({ config: PEAK, tick, at: at(Date.parse('2026-06-01T13:05:00Z')) })[0]?.change.intent.target,
    ).toEqual({ planedJobCount: 2 });
  });

  it('limits a shard to its groups', () => {
    const due = dueGroups({ config: PEAK, tick: at(START), only: new Set(['10']) });

    expect(due.map((d) => d.jobGroupId)).toEqual(['10']);
  });
});

describe('shards', () => {
  it('orders ids numerically first and chunks them in fixed sizes', () => {
    const ids = ['10', '2', 'b', '1', 'a', '20'].sort(compareIds);

    expect(ids).toEqual(['1', '2', '10', '20', 'a', 'b']);
    expect(chunkShards(ids, 4)).toEqual([
      ['1', '2', '10', '20'],
      ['a', 'b'],
    ]);
    expect(chunkShards([], 4)).toEqual([]);
  });

  it('makes larger shards, not more, past maxShards × size, up to maxSize', () => {
    const ids = Array.from({ length: 20 }, (_, i) => String(i + 1));

    expect(chunkShards(ids, 4, { maxShards: 10 }).map((shard) => shard.length)).toEqual([4, 4, 4, 4, 4]);
    expect(chunkShards(ids, 4, { maxShards: 3, maxSize: 10 }).map((shard) => shard.length)).toEqual([
      7, 7, 6,
    ]);
    // Past maxSize there must be more shards than maxShards after all.
    expect(chunkShards(ids, 4, { maxShards: 2, maxSize: 5 }).map((shard) => shard.length)).toEqual([
      5, 5, 5, 5,
    ]);
  });
});

/** Schedules whose windows cross midnight and DST changes, in zones with and without DST. */
const PROPERTY_SCHEDULES: Array<z.input<typeof ConfigFileSchema>['schedules']> = [
  [
    {
      name: 'london',
      timezone: 'Europe/London',
      jobGroupIds: ['1'],
      windows: [
        {
          name: 'night',
          days: 'daily',
          from: '23:30',
          to: '01:30',
          set: { planedJobCount: 7, status: 'Running' },
        },
        { name: 'day', days: 'mon-fri', from: '01:00', to: '02:30', set: { planedJobCount: 9 } },
      ],
      otherwise: { planedJobCount: 1, status: 'Stopped' },
      except: ['2026-10-24'],
    },
  ],
  [
    {
      name: 'lord-howe',
      timezone: 'Australia/Lord_Howe',
      jobGroupIds: ['1'],
      windows: [{ days: 'sat#1,sun,fri#L', from: '01:45', to: '02:15', set: { streamPerJob: 4 } }],
      otherwise: { streamPerJob: 1 },
    },
  ],
  [
    {
      name: 'new-york',
      timezone: 'America/New_York',
      jobGroupIds: ['1'],
      windows: [
        { days: 'daily', from: '01:30', to: '01:45', set: { params: { ES_ENABLE: true } } },
        { days: 'daily', from: '02:00', to: '03:00', set: { planedJobCount: 3 } },
      ],
    },
  ],
];

function merge(state: Target, target: Target): Target {
  return {
    ...state,
    ...target,
    ...((state.params || target.params) && { params: { ...state.params, ...target.params } }),
  };
}

describe('reconcile loses no transition and sends nothing stale (property)', () => {
  it('after every tick, the last sent state matches the desired state, whenever ticks come within the lookback', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PROPERTY_SCHEDULES),
        // Around the 2026 DST changes (March/April and October/November) and ordinary days.
        fc.constantFrom(
          '2026-03-07T12:00:00Z',
          '2026-03-28T12:00:00Z',
          '2026-04-03T10:00:00Z',
          '2026-10-24T12:00:00Z',
          '2026-10-31T12:00:00Z',
          '2026-07-01T00:00:00Z',
        ),
        fc.integer({ min: 0, max: 86_400 }),
        fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 400 }),
        (schedules, base, offset, gaps) => {
          // Prepare: ticks no further apart than the lookback (2 × 300 s), late or early at random
          const cfg = config({ timezone: 'UTC', schedules });
          const schedule = cfg.schedules[0]!;
          let t = Date.parse(base) + offset * 1000;
          const first = t;
          let state: Target = {};
          let sent = false;
          for (const gap of [0, ...gaps]) {
            t += gap * 1000;
            // Act
            for (const due of dueGroups({ config: cfg, tick: at(t) })) {
              expect(due.change.intent.target).toEqual(desiredAt(schedule, at(t), 'UTC').target);
              state = merge(state, due.change.intent.target);
              sent = true;
            }
            // Assess: once anything changed since the first tick's lookback, CityVisual holds the desired state
            const changed =
              planTransitions(cfg.schedules, 'UTC', at(first - lookbackMs(cfg.reconcile)), at(t)).length > 0;
            expect(sent).toBe(changed);
            if (!changed) continue;
            const desired = desiredAt(schedule, at(t), 'UTC').target;
            expect(merge(state, desired)).toEqual(state);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
