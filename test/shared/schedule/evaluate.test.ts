import { describe, expect, it } from 'vitest';
import type { Target } from '../../../shared/jobgroup/target.js';
import { desiredAt, type Schedule } from '../../../shared/schedule/index.js';
import { schedule } from './helpers.js';

const peak = schedule({
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
const fridayNightLondon = schedule({
  timezone: 'Europe/London',
  windows: [{ name: 'night', days: 'fri', from: '22:00', to: '02:00', set: { planedJobCount: 8 } }],
  otherwise: { planedJobCount: 1 },
});
const lastFridayNewYork = schedule({
  timezone: 'America/New_York',
  windows: [{ name: 'payday', days: 'fri#L', from: '09:00', to: '17:00', set: { planedJobCount: 30 } }],
});
const nthSaturdays = schedule({
  windows: [
    { name: 'first-sat', days: 'sat#1', from: '10:00', to: '12:00', set: { jobCount: 4 } },
    { name: 'fifth-sat', days: 'sat#5', from: '10:00', to: '12:00', set: { jobCount: 6 } },
  ],
});
const peakWithHolidays = schedule({
  windows: peak.windows,
  otherwise: peak.otherwise,
  except: ['2026-10-01..2026-10-07', '2026-12-25'],
});
const dailyExceptNewYear = schedule({
  windows: [{ name: 'day', days: 'daily', from: '09:00', to: '17:00', set: { planedJobCount: 9 } }],
  except: ['2026-12-28..2027-01-03'],
});
const leapYear = schedule({
  windows: [
    { name: 'monday-night', days: 'mon', from: '22:00', to: '02:00', set: { planedJobCount: 7 } },
    { name: 'last-tue', days: 'tue#L', from: '12:00', to: '13:00', set: { jobCount: 2 } },
  ],
});
const nightExceptChristmas = schedule({
  windows: [{ name: 'night', days: '*', from: '22:00', to: '06:00', set: { planedJobCount: 3 } }],
  otherwise: { planedJobCount: 1 },
  except: ['2026-12-25'],
});
const smallHours = (timezone: string, from: string, to: string) =>
  schedule({
    timezone,
    windows: [{ name: 'small-hours', days: 'daily', from, to, set: { planedJobCount: 4 } }],
  });
const springNewYork = schedule({
  timezone: 'America/New_York',
  windows: [
    { name: 'in-gap', days: 'sun', from: '02:00', to: '02:45', set: { jobCount: 1 } },
    { name: 'into-gap', days: 'sun', from: '01:30', to: '02:30', set: { planedJobCount: 5 } },
    { name: 'out-of-gap', days: 'sun', from: '02:30', to: '04:00', set: { streamPerJob: 2 } },
  ],
});
const springLordHowe = schedule({
  timezone: 'Australia/Lord_Howe',
  windows: [{ name: 'dawn', days: 'sun', from: '02:00', to: '03:00', set: { planedJobCount: 6 } }],
});
const layered = schedule({
  windows: [
    {
      name: 'base',
      days: 'daily',
      from: '08:00',
      to: '18:00',
      set: { planedJobCount: 10, status: 'Stopped', params: { ES_ENABLE: true } },
    },
    {
      name: 'boost',
      days: 'daily',
      from: '12:00',
      to: '14:00',
      set: { planedJobCount: 20, jobCount: 3, status: 'Running', params: { RDS_ENABLE: false } },
    },
    {
      name: 'quiet',
      days: 'daily',
      from: '13:00',
      to: '15:00',
      set: { planedJobCount: 5, status: 'Stopped' },
    },
  ],
  otherwise: { planedJobCount: 2, streamPerJob: 4, status: 'Stopped' },
});
const allDayMonday = schedule({
  timezone: 'America/New_York',
  windows: [{ name: 'monday', days: 'mon', from: '09:00', to: '09:00', set: { planedJobCount: 12 } }],
});

interface Row {
  behaviour: string;
  schedule: Schedule;
  at: string;
  target: Target;
  windows: string[];
  defaultZone?: string;
}

const rows: Row[] = [
  // Asia/Shanghai (+8, no DST) unless the schedule names a zone.
  {
    behaviour: 'a window starts at its from time (inclusive)',
    schedule: peak,
    at: '2026-05-31T23:30:00Z',
    target: { planedJobCount: 20, status: 'Running' },
    windows: ['weekday-peak'],
  },
  {
    behaviour: 'otherwise applies the minute before a window',
    schedule: peak,
    at: '2026-05-31T23:29:00Z',
    target: { planedJobCount: 2 },
    windows: ['otherwise'],
  },
  {
    behaviour: 'a window still runs the minute before its to time',
    schedule: peak,
    at: '2026-06-01T12:59:00Z',
    target: { planedJobCount: 20, status: 'Running' },
    windows: ['weekday-peak'],
  },
  {
    behaviour: 'a window ends at its to time (exclusive)',
    schedule: peak,
    at: '2026-06-01T13:00:00Z',
    target: { planedJobCount: 2 },
    windows: ['otherwise'],
  },
  {
    behaviour: 'a window does not run on a day outside its days',
    schedule: peak,
    at: '2026-06-06T04:00:00Z',
    target: { planedJobCount: 2 },
    windows: ['otherwise'],
  },
  {
    behaviour: 'the default zone applies to a schedule without its own (Shanghai 08:00)',
    schedule: peak,
    at: '2026-06-01T00:00:00Z',
    target: { planedJobCount: 20, status: 'Running' },
    windows: ['weekday-peak'],
  },
  {
    behaviour: 'the default zone applies to a schedule without its own (London 01:00)',
    schedule: peak,
    at: '2026-06-01T00:00:00Z',
    target: { planedJobCount: 2 },
    windows: ['otherwise'],
    defaultZone: 'Europe/London',
  },
  // Crossing midnight, month end and year end (Europe/London).
  {
    behaviour: 'a window crossing midnight starts on its day at the end of a month',
    schedule: fridayNightLondon,
    at: '2026-07-31T21:00:00Z',
    target: { planedJobCount: 8 },
    windows: ['night'],
  },
  {
    behaviour: 'a window crossing midnight keeps running into the next month',
    schedule: fridayNightLondon,
    at: '2026-08-01T00:59:00Z',
    target: { planedJobCount: 8 },
    windows: ['night'],
  },
  {
    behaviour: 'a window crossing midnight ends at its to time on the next day',
    schedule: fridayNightLondon,
    at: '2026-08-01T01:00:00Z',
    target: { planedJobCount: 1 },
    windows: ['otherwise'],
  },
  {
    behaviour: 'a window crossing midnight keeps running into a new year',
    schedule: fridayNightLondon,
    at: '2028-01-01T01:00:00Z',
    target: { planedJobCount: 8 },
    windows: ['night'],
  },
  {
    behaviour: 'a schedule zone wins over the default zone',
    schedule: fridayNightLondon,
    at: '2026-07-31T20:59:00Z',
    target: { planedJobCount: 1 },
    windows: ['otherwise'],
    defaultZone: 'UTC',
  },
  // Nth and last weekdays.
  {
    behaviour: 'fri#L runs on the last Friday of February',
    schedule: lastFridayNewYork,
    at: '2026-02-27T17:00:00Z',
    target: { planedJobCount: 30 },
    windows: ['payday'],
  },
  {
    behaviour: 'fri#L does not run on an earlier Friday, leaving all fields untouched',
    schedule: lastFridayNewYork,
    at: '2026-02-20T17:00:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'sat#1 runs on the first Saturday',
    schedule: nthSaturdays,
    at: '2026-08-01T02:00:00Z',
    target: { jobCount: 4 },
    windows: ['first-sat'],
  },
  {
    behaviour: 'sat#1 does not run on the second Saturday',
    schedule: nthSaturdays,
    at: '2026-08-08T02:00:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'sat#5 runs on the fifth Saturday of May 2026',
    schedule: nthSaturdays,
    at: '2026-05-30T02:00:00Z',
    target: { jobCount: 6 },
    windows: ['fifth-sat'],
  },
  {
    behaviour: 'sat#5 runs on the fifth Saturday of August 2026',
    schedule: nthSaturdays,
    at: '2026-08-29T02:00:00Z',
    target: { jobCount: 6 },
    windows: ['fifth-sat'],
  },
  {
    behaviour: 'sat#5 never runs in June 2026, which has four Saturdays',
    schedule: nthSaturdays,
    at: '2026-06-27T02:00:00Z',
    target: {},
    windows: ['otherwise'],
  },
  // except.
  {
    behaviour: 'an except date leaves only otherwise',
    schedule: peakWithHolidays,
    at: '2026-12-25T04:00:00Z',
    target: { planedJobCount: 2 },
    windows: ['otherwise'],
  },
  {
    behaviour: 'the day before an except date is untouched',
    schedule: peakWithHolidays,
    at: '2026-12-24T04:00:00Z',
    target: { planedJobCount: 20, status: 'Running' },
    windows: ['weekday-peak'],
  },
  {
    behaviour: 'an except range starts on its first date',
    schedule: peakWithHolidays,
    at: '2026-10-01T04:00:00Z',
    target: { planedJobCount: 2 },
    windows: ['otherwise'],
  },
  {
    behaviour: 'an except range includes its last date',
    schedule: peakWithHolidays,
    at: '2026-10-07T04:00:00Z',
    target: { planedJobCount: 2 },
    windows: ['otherwise'],
  },
  {
    behaviour: 'the day after an except range runs again',
    schedule: peakWithHolidays,
    at: '2026-10-08T04:00:00Z',
    target: { planedJobCount: 20, status: 'Running' },
    windows: ['weekday-peak'],
  },
  {
    behaviour: 'the day before an except range across a year end runs',
    schedule: dailyExceptNewYear,
    at: '2026-12-27T01:00:00Z',
    target: { planedJobCount: 9 },
    windows: ['day'],
  },
  {
    behaviour: 'an except range across a year end covers 31 December',
    schedule: dailyExceptNewYear,
    at: '2026-12-31T01:00:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'an except range across a year end covers its last date in January',
    schedule: dailyExceptNewYear,
    at: '2027-01-03T01:00:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'an except range across a year end ends after its last date',
    schedule: dailyExceptNewYear,
    at: '2027-01-04T01:00:00Z',
    target: { planedJobCount: 9 },
    windows: ['day'],
  },
  {
    behaviour: 'an occurrence crossing midnight into an except date keeps running',
    schedule: nightExceptChristmas,
    at: '2026-12-24T19:00:00Z',
    target: { planedJobCount: 3 },
    windows: ['night'],
  },
  {
    behaviour: 'no occurrence starts on an except date',
    schedule: nightExceptChristmas,
    at: '2026-12-25T15:00:00Z',
    target: { planedJobCount: 1 },
    windows: ['otherwise'],
  },
  {
    behaviour: 'the morning after an except date belongs to the except date',
    schedule: nightExceptChristmas,
    at: '2026-12-25T19:00:00Z',
    target: { planedJobCount: 1 },
    windows: ['otherwise'],
  },
  {
    behaviour: 'occurrences resume on the day after an except date',
    schedule: nightExceptChristmas,
    at: '2026-12-26T15:00:00Z',
    target: { planedJobCount: 3 },
    windows: ['night'],
  },
  // Leap day 2028-02-29 (a Tuesday).
  {
    behaviour: 'a window crossing midnight runs into a leap day',
    schedule: leapYear,
    at: '2028-02-28T17:30:00Z',
    target: { planedJobCount: 7 },
    windows: ['monday-night'],
  },
  {
    behaviour: 'tue#L falls on a leap day',
    schedule: leapYear,
    at: '2028-02-29T04:30:00Z',
    target: { jobCount: 2 },
    windows: ['last-tue'],
  },
  {
    behaviour: 'tue#L skips the fourth Tuesday when a leap day follows',
    schedule: leapYear,
    at: '2028-02-22T04:30:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'tue#L is the 23rd in a common February',
    schedule: leapYear,
    at: '2027-02-23T04:30:00Z',
    target: { jobCount: 2 },
    windows: ['last-tue'],
  },
  // Autumn: the repeated hour does not make a window flap.
  {
    behaviour: 'New York: a window in the repeated hour starts at the first 01:00',
    schedule: smallHours('America/New_York', '01:00', '01:45'),
    at: '2026-11-01T05:00:00Z',
    target: { planedJobCount: 4 },
    windows: ['small-hours'],
  },
  {
    behaviour: 'New York: it runs until just before the first 01:45',
    schedule: smallHours('America/New_York', '01:00', '01:45'),
    at: '2026-11-01T05:44:00Z',
    target: { planedJobCount: 4 },
    windows: ['small-hours'],
  },
  {
    behaviour: 'New York: it ends at the first 01:45',
    schedule: smallHours('America/New_York', '01:00', '01:45'),
    at: '2026-11-01T05:45:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'New York: it does not run again at the second 01:00',
    schedule: smallHours('America/New_York', '01:00', '01:45'),
    at: '2026-11-01T06:00:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'New York: it does not run again at the second 01:30',
    schedule: smallHours('America/New_York', '01:00', '01:45'),
    at: '2026-11-01T06:30:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'London: a window in the repeated hour runs in its first pass',
    schedule: smallHours('Europe/London', '01:00', '01:45'),
    at: '2026-10-25T00:30:00Z',
    target: { planedJobCount: 4 },
    windows: ['small-hours'],
  },
  {
    behaviour: 'London: it does not run in the second pass',
    schedule: smallHours('Europe/London', '01:00', '01:45'),
    at: '2026-10-25T01:30:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'Lord Howe: a window in the repeated half hour runs in its first pass',
    schedule: smallHours('Australia/Lord_Howe', '01:30', '01:45'),
    at: '2026-04-04T14:40:00Z',
    target: { planedJobCount: 4 },
    windows: ['small-hours'],
  },
  {
    behaviour: 'Lord Howe: it does not run in the second pass',
    schedule: smallHours('Australia/Lord_Howe', '01:30', '01:45'),
    at: '2026-04-04T15:10:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'Lord Howe: a window ending after the overlap runs through both passes',
    schedule: smallHours('Australia/Lord_Howe', '01:00', '02:00'),
    at: '2026-04-04T15:10:00Z',
    target: { planedJobCount: 4 },
    windows: ['small-hours'],
  },
  // Spring: the gap.
  {
    behaviour: 'New York: a window ending in the gap runs until the gap ends',
    schedule: springNewYork,
    at: '2026-03-08T06:59:00Z',
    target: { planedJobCount: 5 },
    windows: ['into-gap'],
  },
  {
    behaviour: 'New York: a window inside the gap never runs; one starting in it starts when the gap ends',
    schedule: springNewYork,
    at: '2026-03-08T07:00:00Z',
    target: { streamPerJob: 2 },
    windows: ['out-of-gap'],
  },
  {
    behaviour: 'New York: a window starting in the gap ends at its to time',
    schedule: springNewYork,
    at: '2026-03-08T08:00:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'New York: on an ordinary Sunday the same windows overlap and merge',
    schedule: springNewYork,
    at: '2026-03-15T06:10:00Z',
    target: { planedJobCount: 5, jobCount: 1 },
    windows: ['in-gap', 'into-gap'],
  },
  {
    behaviour: 'Lord Howe: a window starting in the half-hour gap is off before the gap',
    schedule: springLordHowe,
    at: '2026-10-03T15:29:00Z',
    target: {},
    windows: ['otherwise'],
  },
  {
    behaviour: 'Lord Howe: it starts when the half-hour gap ends',
    schedule: springLordHowe,
    at: '2026-10-03T15:30:00Z',
    target: { planedJobCount: 6 },
    windows: ['dawn'],
  },
  {
    behaviour: 'Lord Howe: it ends at 03:00 summer time',
    schedule: springLordHowe,
    at: '2026-10-03T16:00:00Z',
    target: {},
    windows: ['otherwise'],
  },
  // Merging.
  {
    behaviour: 'a single window sets only its own fields; otherwise-only fields are left alone',
    schedule: layered,
    at: '2026-06-01T01:00:00Z',
    target: { planedJobCount: 10, status: 'Stopped', params: { ES_ENABLE: true } },
    windows: ['base'],
  },
  {
    behaviour: 'overlapping windows: largest count wins, Running beats Stopped, params merge by key',
    schedule: layered,
    at: '2026-06-01T04:30:00Z',
    target: {
      planedJobCount: 20,
      jobCount: 3,
      status: 'Running',
      params: { ES_ENABLE: true, RDS_ENABLE: false },
    },
    windows: ['base', 'boost'],
  },
  {
    behaviour: 'three overlapping windows merge capacity-safe',
    schedule: layered,
    at: '2026-06-01T05:30:00Z',
    target: {
      planedJobCount: 20,
      jobCount: 3,
      status: 'Running',
      params: { ES_ENABLE: true, RDS_ENABLE: false },
    },
    windows: ['base', 'boost', 'quiet'],
  },
  {
    behaviour: 'Stopped applies when no active window says Running',
    schedule: layered,
    at: '2026-06-01T06:30:00Z',
    target: { planedJobCount: 10, status: 'Stopped', params: { ES_ENABLE: true } },
    windows: ['base', 'quiet'],
  },
  {
    behaviour: 'outside every window, otherwise applies and window-only fields are absent',
    schedule: layered,
    at: '2026-06-01T11:00:00Z',
    target: { planedJobCount: 2, streamPerJob: 4, status: 'Stopped' },
    windows: ['otherwise'],
  },
  // to == from.
  {
    behaviour: 'to == from runs 24 hours from its start',
    schedule: allDayMonday,
    at: '2026-06-02T12:59:00Z',
    target: { planedJobCount: 12 },
    windows: ['monday'],
  },
  {
    behaviour: 'to == from ends at the same time the next day',
    schedule: allDayMonday,
    at: '2026-06-02T13:00:00Z',
    target: {},
    windows: ['otherwise'],
  },
];

describe('desiredAt', () => {
  it.each(rows)('$behaviour', ({ schedule, at, target, windows, defaultZone }) => {
    const desired = desiredAt(schedule, new Date(at), defaultZone ?? 'Asia/Shanghai');

    expect(desired).toEqual({ target, windows });
  });

  it('lists target fields in one fixed order, so equal targets serialise alike', () => {
    const desired = desiredAt(layered, new Date('2026-06-01T04:30:00Z'), 'Asia/Shanghai');

    expect(JSON.stringify(desired.target)).toBe(
      '{"planedJobCount":20,"jobCount":3,"status":"Running","params":{"ES_ENABLE":true,"RDS_ENABLE":false}}',
    );
  });
});
