import { describe, expect, it } from 'vitest';
import { type ConfigFile, checkConfig } from '../../../shared/config/file.js';
import { planAt, planEntries } from '../../../shared/status/plan.js';

function load(document: unknown): ConfigFile {
  const { config, issues } = checkConfig(document);
  if (!config) throw new Error(JSON.stringify(issues));
  return config;
}

// Berlin springs forward on Sunday 2026-03-29 at 02:00 (to 03:00): a 02:30 start does not exist then.
const BERLIN = load({
  timezone: 'Europe/Berlin',
  schedules: [
    {
      name: 'early',
      jobGroupIds: ['5', '6'],
      windows: [{ name: 'backup', days: 'daily', from: '02:30', to: '04:00', set: { planedJobCount: 8 } }],
      otherwise: { planedJobCount: 1 },
    },
  ],
});

const CN = load({
  timezone: 'Asia/Shanghai',
  calendars: {
    'cn-2026': { holidays: ['2026-10-01..2026-10-02'], workdays: [{ date: '2026-10-10', as: 'fri' }] },
  },
  schedules: [
    {
      name: 'crossroads',
      jobGroupIds: ['1', '2'],
      calendar: 'cn-2026',
      except: ['2026-10-09'],
      windows: [{ name: 'peak', days: 'mon-fri', from: '07:30', to: '21:00', set: { planedJobCount: 10 } }],
      otherwise: { planedJobCount: 2 },
    },
  ],
});

describe('plan entries', () => {
  it('marks a time a DST gap moved, with the local time, zone and offset of every change', () => {
    const entries = planEntries(
      BERLIN,
      [],
      new Date('2026-03-28T12:00:00Z'),
      new Date('2026-03-30T12:00:00Z'),
      '5',
    );

    expect(
      entries.map((e) =>
        e.kind === 'change'
          ? `${e.local} ${e.offset} ${e.window}${e.dst ? ` dst ${e.dst.wanted}->${e.dst.became}` : ''}`
          : e.kind,
      ),
    ).toEqual([
      '2026-03-29 03:00 +02:00 backup dst 02:30->03:00',
      '2026-03-29 04:00 +02:00 otherwise',
      '2026-03-30 02:30 +02:00 backup',
      '2026-03-30 04:00 +02:00 otherwise',
    ]);
    expect(entries[0]).toMatchObject({
      kind: 'change',
      jobGroupId: '5',
      schedule: 'early',
      zone: 'Europe/Berlin',
    });
  });

  it('marks days a holiday or except removed and a make-up workday added, per group', () => {
    const entries = planEntries(CN, [], new Date('2026-09-30T16:00:00Z'), new Date('2026-10-10T16:00:00Z'));

    const days = entries
      .filter((e) => e.kind !== 'change')
      .map((e) => `${e.jobGroupId} ${e.kind} ${'date' in e ? e.date : ''}`);
    expect(days).toEqual([
      '1 holiday 2026-10-01',
      '2 holiday 2026-10-01',
      '1 holiday 2026-10-02',
      '2 holiday 2026-10-02',
      '1 except 2026-10-09',
      '2 except 2026-10-09',
      '1 workday 2026-10-10',
      '2 workday 2026-10-10',
    ]);
    const saturday = entries.find(
      (e) => e.kind === 'change' && e.local === '2026-10-10 07:30' && e.jobGroupId === '1',
    );
    expect(saturday).toMatchObject({
      window: 'peak',
      workday: { date: '2026-10-10', as: 'fri', calendar: 'cn-2026' },
    });
  });

  it('--at: the state in force per group, and the window and local date that decided it', () => {
    const [one, two] = planAt(CN, [], new Date('2026-10-10T04:00:00Z'));
    const holiday = planAt(CN, [], new Date('2026-10-01T04:00:00Z'), '2');

    expect(one).toMatchObject({
      jobGroupId: '1',
      local: '2026-10-10 12:00',
      zone: 'Asia/Shanghai',
      target: { planedJobCount: 10 },
      decidedBy: {
        planedJobCount: {
          by: 'schedule',
          window: 'peak',
          date: '2026-10-10',
          workday: { as: 'fri', calendar: 'cn-2026' },
        },
      },
      day: { kind: 'workday', as: 'fri' },
    });
    expect(two?.jobGroupId).toBe('2');
    expect(holiday).toEqual([
      expect.objectContaining({
        jobGroupId: '2',
        target: { planedJobCount: 2 },
        decidedBy: { planedJobCount: { by: 'schedule', schedule: 'crossroads', window: 'otherwise' } },
        day: { date: '2026-10-01', kind: 'holiday', calendar: 'cn-2026', windows: ['peak'] },
      }),
    ]);
  });

  it('--at names the window that decided each field, and the local date its occurrence started', () => {
    const config = load({
      timezone: 'UTC',
      schedules: [
        {
          name: 'overlap',
          jobGroupIds: ['9'],
          windows: [
            { name: 'night', days: 'daily', from: '22:00', to: '06:00', set: { planedJobCount: 3 } },
            { name: 'early', days: 'daily', from: '05:00', to: '09:00', set: { status: 'Running' } },
          ],
          otherwise: { planedJobCount: 1, status: 'Stopped' },
        },
      ],
    });

    const [row] = planAt(config, [], new Date('2026-06-02T05:30:00Z'));

    expect(row?.decidedBy).toEqual({
      planedJobCount: { by: 'schedule', schedule: 'overlap', window: 'night', date: '2026-06-01' },
      status: { by: 'schedule', schedule: 'overlap', window: 'early', date: '2026-06-02' },
    });
  });
});
