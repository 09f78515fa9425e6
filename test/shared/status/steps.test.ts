import { describe, expect, it } from 'vitest';
import { type ConfigFile, checkConfig } from '../../../shared/config/file.js';
import type { Hold } from '../../../shared/holds/index.js';
import { createMemoryStore } from '../../../shared/state/memory.js';
import { readOnlyStore } from '../../../shared/state/read-only.js';
import { planAt, planEntries } from '../../../shared/status/plan.js';
import { holdBands, type PlanLanes, planLanes, zoneFacts } from '../../../shared/status/steps.js';

/** The steps of the `index`th lane (its track). */
const stepsOf = (plan: PlanLanes, index = 0) => plan.tracks[plan.lanes[index]?.track ?? ''] ?? [];

function load(document: unknown): ConfigFile {
  const { config, issues } = checkConfig(document);
  if (!config) throw new Error(JSON.stringify(issues));
  return config;
}

// London springs forward on Sunday 2027-03-28 at 01:00 UTC (01:00 → 02:00 local).
const LONDON = load({
  timezone: 'Europe/London',
  schedules: [
    {
      name: 'city',
      jobGroupIds: ['1', '2'],
      windows: [
        {
          name: 'day',
          days: 'daily',
          from: '08:00',
          to: '18:00',
          set: { planedJobCount: 6, status: 'Running' },
        },
        { name: 'early', days: 'sun', from: '01:30', to: '03:00', set: { planedJobCount: 9 } },
      ],
      otherwise: { planedJobCount: 1 },
      except: ['2027-03-29'],
    },
  ],
});

const FROM = new Date('2027-03-27T00:00:00Z');
const TO = new Date('2027-03-30T00:00:00Z');

const pin: Hold = {
  id: '2~0123456789ab',
  jobGroupId: '2',
  kind: 'pin',
  set: { planedJobCount: 30 },
  from: '2027-03-27T10:00:00.000Z',
  until: '2027-03-27T14:00:00.000Z',
  reason: 'festival',
  who: 'ci',
};

describe('zone facts', () => {
  it('finds a DST change to the millisecond, with the offsets either side, and the local midnights', () => {
    const facts = zoneFacts('Europe/London', FROM, TO);

    expect(facts.offsetChanges).toEqual([
      { at: '2027-03-28T01:00:00.000Z', before: '+00:00', after: '+01:00', local: '2027-03-28 02:00' },
    ]);
    expect(facts.midnights).toEqual([
      { date: '2027-03-27', at: '2027-03-27T00:00:00.000Z' },
      { date: '2027-03-28', at: '2027-03-28T00:00:00.000Z' },
      { date: '2027-03-29', at: '2027-03-28T23:00:00.000Z' },
      { date: '2027-03-30', at: '2027-03-29T23:00:00.000Z' },
    ]);
  });

  it('has no change in a zone without DST', () => {
    expect(zoneFacts('Asia/Shanghai', FROM, TO).offsetChanges).toEqual([]);
  });
});

describe('plan lanes', () => {
  it('are the state at the start, then every change of the schedule, as planEntries lists them', () => {
    const steps = stepsOf(planLanes(LONDON, [], FROM, TO, ['1']));
    const changes = planEntries(LONDON, [], FROM, TO, '1').filter((e) => e.kind === 'change');

    expect(steps[0]).toMatchObject({
      at: FROM.toISOString(),
      cause: 'range-start',
      target: { planedJobCount: 1 },
    });
    expect(steps.slice(1).map((s) => [s.at, s.target.planedJobCount])).toEqual(
      changes.map((c) => [c.at, c.set.planedJobCount]),
    );
    // The early window starts in the DST gap (01:30 does not exist): at 02:00 local, +01:00.
    expect(steps.find((s) => s.target.planedJobCount === 9)).toMatchObject({
      local: '2027-03-28 02:00',
      offset: '+01:00',
      decidedBy: { planedJobCount: { by: 'schedule', schedule: 'city', window: 'early' } },
    });
  });

  it('step at a pin’s start and end, decided by the pin in between', () => {
    const lanes = planLanes(LONDON, [pin], FROM, TO, ['1', '2']);
    const held = stepsOf(lanes, 1).filter((s) => s.at >= pin.from && s.at <= pin.until);

    expect(
      held?.map((s) => [s.at, s.cause, s.target.planedJobCount, s.decidedBy.planedJobCount?.by]),
    ).toEqual([
      [pin.from, 'hold-start', 30, 'hold'],
      [pin.until, 'hold-end', 6, 'schedule'],
    ]);
    // The other group of the schedule is untouched by group 2's pin.
    expect(stepsOf(lanes, 0).some((s) => s.target.planedJobCount === 30)).toBe(false);
    expect(lanes.lanes.map((lane) => lane.track)).toEqual(['schedule:city', 'group:2']);
    // At the pin's start, the plan's state agrees.
    expect(planAt(LONDON, [pin], new Date(pin.from), '2')[0]?.target.planedJobCount).toBe(30);
  });

  it('gives a group without a schedule one step: what its pins set, or nothing', () => {
    const plan = planLanes(LONDON, [{ ...pin, jobGroupId: '8', id: '8~0123456789ab' }], FROM, TO, ['8']);

    expect(plan.lanes[0]?.schedule).toBeNull();
    expect(stepsOf(plan).map((s) => s.target)).toEqual([{}, { planedJobCount: 30 }, {}]);
  });

  it('follow the working calendar: a make-up Saturday gets the weekday window', () => {
    const cn = load({
      timezone: 'Asia/Shanghai',
      calendars: {
        'cn-2026': { holidays: ['2026-10-01..2026-10-07'], workdays: [{ date: '2026-10-10', as: 'fri' }] },
      },
      schedules: [
        {
          name: 'crossroads',
          jobGroupIds: ['1'],
          calendar: 'cn-2026',
          windows: [
            { name: 'peak', days: 'mon-fri', from: '07:30', to: '21:00', set: { planedJobCount: 10 } },
          ],
          otherwise: { planedJobCount: 2 },
        },
      ],
    });
    const from = new Date('2026-10-09T16:00:00Z');
    const to = new Date('2026-10-11T16:00:00Z');

    const steps = stepsOf(planLanes(cn, [], from, to, ['1']));

    expect(steps.map((s) => `${s.local} ${s.target.planedJobCount}`)).toEqual([
      '2026-10-10 00:00 2',
      '2026-10-10 07:30 10',
      '2026-10-10 21:00 2',
    ]);
  });

  it('bands a skip over the occurrence it removes', () => {
    const skip: Hold = {
      id: '1~0123456789ab',
      jobGroupId: '1',
      kind: 'skip',
      schedule: 'city',
      window: 'day',
      date: '2027-03-28',
      from: '2027-03-27T09:00:00.000Z',
      until: '2027-03-28T17:00:00.000Z',
      reason: '',
      who: 'ci',
    };

    const [band] = holdBands(LONDON, [skip], FROM, TO, Date.parse('2027-03-27T12:00:00Z'));

    expect(band?.band).toEqual({ from: '2027-03-28T07:00:00.000Z', until: '2027-03-28T17:00:00.000Z' });
    expect(band?.secondsLeft).toBe(29 * 3600);
  });
});

describe('the read-only store', () => {
  it('reads, and refuses every write without touching the store', async () => {
    const store = createMemoryStore();
    await store.create('hold/1/x', { a: 1 }, { expiresAt: undefined });
    const view = readOnlyStore(store);

    expect((await view.get('hold/1/x'))?.value).toEqual({ a: 1 });
    expect(await view.list('hold/')).toHaveLength(1);
    await expect(view.create('hold/1/y', {}, { expiresAt: undefined })).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    await expect(view.update('hold/1/x', {}, { expectedVersion: 1, expiresAt: undefined })).rejects.toThrow(
      /read-only/,
    );
    await expect(view.delete('hold/1/x')).rejects.toThrow(/read-only/);
    expect(await store.list('hold/')).toHaveLength(1);
  });
});
