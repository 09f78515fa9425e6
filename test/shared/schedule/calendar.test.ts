import { describe, expect, it } from 'vitest';
import { type ConfigFile, checkConfig } from '../../../shared/config/file.js';
import { desiredAt, planTransitions } from '../../../shared/schedule/index.js';

// Asia/Shanghai. 2026-10-01 is a Thursday; 2026-10-10 a Saturday worked as a Friday (调休), 2026-09-20 a
// Sunday worked as a Monday.
const CONFIG = {
  timezone: 'Asia/Shanghai',
  calendars: {
    'cn-2026': {
      holidays: ['2026-10-01..2026-10-07'],
      workdays: [
        { date: '2026-10-10', as: 'fri' },
        { date: '2026-09-20', as: 'mon' },
      ],
    },
  },
  schedules: [
    {
      name: 'crossroads',
      jobGroupIds: ['1'],
      calendar: 'cn-2026',
      except: ['2026-10-12'],
      windows: [
        { name: 'weekday-peak', days: 'mon-fri', from: '07:30', to: '21:00', set: { planedJobCount: 10 } },
        { name: 'weekend', days: 'sat,sun', from: '10:00', to: '18:00', set: { planedJobCount: 4 } },
      ],
      otherwise: { planedJobCount: 2 },
    },
    {
      name: 'parking',
      jobGroupIds: ['7'],
      calendar: 'cn-2026',
      windows: [{ name: 'friday-late', days: 'fri', from: '18:00', to: '23:00', set: { planedJobCount: 6 } }],
      otherwise: { planedJobCount: 1 },
    },
  ],
};

function load(document: unknown = CONFIG): ConfigFile {
  const { config, issues } = checkConfig(document);
  if (!config) throw new Error(JSON.stringify(issues));
  return config;
}

const at = (iso: string) => new Date(iso);

describe('calendars: holidays and make-up working days (调休)', () => {
  it('a make-up Saturday gets the weekday windows and not the weekend ones', () => {
    const config = load();
    const [crossroads, parking] = config.schedules;

    const saturday = desiredAt(crossroads!, at('2026-10-10T12:00:00+08:00'), config.timezone);
    const sunday = desiredAt(crossroads!, at('2026-10-11T12:00:00+08:00'), config.timezone);
    const sundayAsMonday = desiredAt(crossroads!, at('2026-09-20T12:00:00+08:00'), config.timezone);
    const saturdayAsFriday = desiredAt(parking!, at('2026-10-10T19:00:00+08:00'), config.timezone);

    expect(saturday).toEqual({ target: { planedJobCount: 10 }, windows: ['weekday-peak'] });
    expect(sunday).toEqual({ target: { planedJobCount: 4 }, windows: ['weekend'] });
    expect(sundayAsMonday.windows).toEqual(['weekday-peak']);
    // Several schedules share the calendar: the parking lot's Friday window runs on the worked Saturday.
    expect(saturdayAsFriday.windows).toEqual(['friday-late']);
  });

  it("holidays act as except, and the schedule's own except keeps working beside them", () => {
    const config = load();
    const crossroads = config.schedules[0]!;

    const holidayThursday = desiredAt(crossroads, at('2026-10-01T12:00:00+08:00'), config.timezone);
    const holidaySaturday = desiredAt(crossroads, at('2026-10-03T12:00:00+08:00'), config.timezone);
    const afterHoliday = desiredAt(crossroads, at('2026-10-08T12:00:00+08:00'), config.timezone);
    const excepted = desiredAt(crossroads, at('2026-10-12T12:00:00+08:00'), config.timezone);

    expect(holidayThursday.windows).toEqual(['otherwise']);
    expect(holidaySaturday.windows).toEqual(['otherwise']);
    expect(afterHoliday.windows).toEqual(['weekday-peak']);
    expect(excepted.windows).toEqual(['otherwise']);
  });

  it('plans the week around the holiday: no peak on the holiday, a peak on the worked Saturday', () => {
    const config = load();

    const transitions = planTransitions(
      [config.schedules[0]!],
      config.timezone,
      at('2026-09-30T00:00:00+08:00'),
      at('2026-10-11T00:00:00+08:00'),
    ).map((t) => `${t.at.toISOString()} ${t.window}`);

    expect(transitions).toEqual([
      '2026-09-29T23:30:00.000Z weekday-peak',
      '2026-09-30T13:00:00.000Z otherwise', // 10-01..10-07: the holiday, no peak at all
      '2026-10-07T23:30:00.000Z weekday-peak', // Thursday 10-08 07:30 local
      '2026-10-08T13:00:00.000Z otherwise',
      '2026-10-08T23:30:00.000Z weekday-peak', // Friday 10-09
      '2026-10-09T13:00:00.000Z otherwise',
      '2026-10-09T23:30:00.000Z weekday-peak', // Saturday 10-10, worked as a Friday
      '2026-10-10T13:00:00.000Z otherwise',
    ]);
  });

  it('a shipped config (no validation on the cold-start path) resolves the calendar the same way', async () => {
    const { loadConfigFor, configDigest } = await import('../../../shared/config/core.js');
    const { ALL_SECTIONS } = await import('../../../shared/config/file.js');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const text = JSON.stringify(load());
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'calendar-')), 'autopilot.json');
    writeFileSync(file, text);

    const shipped = loadConfigFor(ALL_SECTIONS, file, process.cwd(), { trustedDigest: configDigest(text) });

    expect(
      desiredAt(shipped.schedules[0]!, at('2026-10-10T12:00:00+08:00'), 'Asia/Shanghai').windows,
    ).toEqual(['weekday-peak']);
  });

  it.each([
    [{ calendar: 'cn-2027' }, 'schedules[0].calendar', 'no calendar named "cn-2027" (calendars: cn-2026)'],
  ])('refuses a schedule naming a calendar that does not exist', (change, path, message) => {
    const document = structuredClone(CONFIG);
    Object.assign(document.schedules[0]!, change);

    expect(checkConfig(document).issues).toEqual([{ path, message }]);
  });

  it.each([
    [{ holidays: ['2026-10-07..2026-10-01'] }, 'calendars.cn-2026.holidays[0]', 'ends before it starts'],
    [
      { workdays: [{ date: '2026-10-10', as: 'friday' }] },
      'calendars.cn-2026.workdays[0].as',
      'must be one of mon',
    ],
    [
      { workdays: [{ date: '2026-02-30', as: 'fri' }] },
      'calendars.cn-2026.workdays[0].date',
      'not a real date',
    ],
    [
      { holidays: ['2026-10-01..2026-10-07'], workdays: [{ date: '2026-10-03', as: 'fri' }] },
      'calendars.cn-2026.workdays[0].date',
      'both a holiday and a workday',
    ],
    [{ holiday: [] }, 'calendars.cn-2026.holiday', 'unknown field "holiday"'],
  ])('refuses a bad calendar %j naming %s', (calendar, path, message) => {
    const document = { ...CONFIG, calendars: { 'cn-2026': calendar } };

    const issues = checkConfig(document).issues;

    expect(issues).toContainEqual(
      expect.objectContaining({ path, message: expect.stringContaining(message) }),
    );
  });
});
