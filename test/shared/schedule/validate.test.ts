import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Schedule, SchedulesSchema, validateSchedules } from '../../../shared/schedule/index.js';

const ConfigSchema = z.object({ schedules: SchedulesSchema });

/** `['schedules', 0, 'windows', 1, 'to']` → `schedules[0].windows[1].to`. */
function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

/** Every schema problem of a config's `schedules` as `{ path, message }`. */
function schemaIssues(schedules: unknown): Array<{ path: string; message: string }> {
  const parsed = ConfigSchema.safeParse({ schedules });
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message }));
}

const window = (fields: Record<string, unknown> = {}) => ({
  days: 'mon-fri',
  from: '07:30',
  to: '21:00',
  set: { planedJobCount: 20 },
  ...fields,
});
const raw = (fields: Record<string, unknown> = {}) => ({
  name: 's',
  jobGroupIds: ['1'],
  windows: [window()],
  ...fields,
});

describe('ScheduleSchema', () => {
  it('accepts the documented example and fills defaults', () => {
    const parsed = SchedulesSchema.parse([
      {
        name: 'east-district',
        jobGroupIds: ['3', '4'],
        timezone: 'Europe/London',
        windows: [
          {
            name: 'weekday-peak',
            days: 'mon-fri',
            from: '07:30',
            to: '21:00',
            set: { planedJobCount: 20, status: 'Running' },
          },
          { days: ['sat#1', 'FRI#L'], from: '22:00', to: '22:00', set: { params: { ES_ENABLE: true } } },
        ],
        otherwise: { planedJobCount: 2 },
        except: ['2026-10-01..2026-10-07', '2026-12-25', '2028-02-29'],
      },
    ]);

    expect(parsed[0]).toMatchObject({
      enforce: false,
      windows: [{ name: 'weekday-peak' }, { days: ['sat#1', 'FRI#L'] }],
    });
  });

  it.each([
    [
      'an unknown day token',
      raw({ windows: [window({ days: 'mon,funday' })] }),
      'schedules[0].windows[0].days',
      'unknown day token "funday"',
    ],
    [
      'an unknown token in a list of days',
      raw({ windows: [window({ days: ['mon', 'sat#6'] })] }),
      'schedules[0].windows[0].days[1]',
      'day token "sat#6"',
    ],
    [
      'an empty list of days',
      raw({ windows: [window({ days: [] })] }),
      'schedules[0].windows[0].days',
      'must name at least one day',
    ],
    [
      'a from without leading zero',
      raw({ windows: [window({ from: '7:30' })] }),
      'schedules[0].windows[0].from',
      'must be "HH:MM" in 24-hour time',
    ],
    [
      'a to of 24:00',
      raw({ windows: [window(), window({ to: '24:00' })] }),
      'schedules[0].windows[1].to',
      'must be "HH:MM" in 24-hour time',
    ],
    [
      'an unquoted YAML 1.1 time (a number)',
      raw({ windows: [window({ to: 1260 })] }),
      'schedules[0].windows[0].to',
      'must be a quoted "HH:MM" string',
    ],
    [
      'an empty set',
      raw({ windows: [window({ set: {} })] }),
      'schedules[0].windows[0].set',
      'must set at least one field',
    ],
    [
      'a set whose params are empty (a write that would change nothing)',
      raw({ windows: [window({ set: { params: {} } })] }),
      'schedules[0].windows[0].set.params',
      'must set at least one of ES_ENABLE, RDS_ENABLE, OUT_MQ_ENABLE, DATAHUB_ENABLE, SCHEDULE_FLOW_START_TIME',
    ],
    [
      'an otherwise whose params are empty',
      raw({ otherwise: { params: {} } }),
      'schedules[0].otherwise.params',
      'must set at least one of',
    ],
    [
      'an unknown field in set',
      raw({ windows: [window({ set: { planned: 3 } })] }),
      'schedules[0].windows[0].set',
      'Unrecognized key',
    ],
    [
      'a negative count',
      raw({ otherwise: { planedJobCount: -1 } }),
      'schedules[0].otherwise.planedJobCount',
      'must be at least 0, got -1',
    ],
    [
      'a window name with +',
      raw({ windows: [window({ name: 'a+b' })] }),
      'schedules[0].windows[0].name',
      'must not contain "+"',
    ],
    [
      'the reserved window name otherwise',
      raw({ windows: [window({ name: 'otherwise' })] }),
      'schedules[0].windows[0].name',
      'is reserved',
    ],
    [
      'an unknown time zone',
      raw({ timezone: 'Asia/Shangai' }),
      'schedules[0].timezone',
      'unknown time zone "Asia/Shangai"',
    ],
    [
      'an invalid job group id',
      raw({ jobGroupIds: ['1', 'a b'] }),
      'schedules[0].jobGroupIds[1]',
      'must be 1-64 characters',
    ],
    ['no job groups', raw({ jobGroupIds: [] }), 'schedules[0].jobGroupIds', 'needs at least 1 entry'],
    [
      'a date that does not exist',
      raw({ except: ['2027-02-29'] }),
      'schedules[0].except[0]',
      '"2027-02-29" is not a real date',
    ],
    [
      'a month 13',
      raw({ except: ['2026-12-01', '2026-13-01'] }),
      'schedules[0].except[1]',
      '"2026-13-01" is not a real date',
    ],
    [
      'a range ending before it starts',
      raw({ except: ['2026-10-07..2026-10-01'] }),
      'schedules[0].except[0]',
      'ends before it starts',
    ],
    [
      'a range with a bad end',
      raw({ except: ['2026-10-01..2026-10-32'] }),
      'schedules[0].except[0]',
      '"2026-10-32" is not a real date',
    ],
    [
      'a date in another format',
      raw({ except: ['01/10/2026'] }),
      'schedules[0].except[0]',
      'must be a date YYYY-MM-DD',
    ],
    ['an unknown schedule field', raw({ enforced: true }), 'schedules[0]', 'Unrecognized key'],
  ])('reports %s at its path', (_problem, schedule, path, message) => {
    expect(schemaIssues([schedule])).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  it('reports several schema problems together', () => {
    const issues = schemaIssues([
      raw(),
      raw({
        timezone: 'Nowhere/Town',
        windows: [window({ days: 'mon-fun' }), window({ from: '25:00', to: 'noon' })],
        except: ['2026-02-30'],
      }),
    ]);

    expect(issues.map(({ path }) => path)).toEqual([
      'schedules[1].timezone',
      'schedules[1].windows[0].days',
      'schedules[1].windows[1].from',
      'schedules[1].windows[1].to',
      'schedules[1].except[0]',
    ]);
  });
});

describe('validateSchedules', () => {
  const parse = (...schedules: Array<Record<string, unknown>>): Schedule[] =>
    SchedulesSchema.parse(schedules);
  const es = (value: boolean) => ({ set: { params: { ES_ENABLE: value } } });

  it.each([
    [
      'a group in two schedules',
      parse(raw({ name: 'a', jobGroupIds: ['3', '4'] }), raw({ name: 'b', jobGroupIds: ['5', '3'] })),
      'schedules[1].jobGroupIds[1]',
      'job group "3" is also in schedules[0] ("a")',
    ],
    [
      'a group twice in one schedule',
      parse(raw({ jobGroupIds: ['3', '3'] })),
      'schedules[0].jobGroupIds[1]',
      'job group "3" is listed twice',
    ],
    [
      'two schedules with one name',
      parse(raw({ name: 'x', jobGroupIds: ['1'] }), raw({ name: 'x', jobGroupIds: ['2'] })),
      'schedules[1].name',
      'duplicate schedule name "x"',
    ],
    [
      'two windows with one name',
      parse(raw({ windows: [window({ name: 'w' }), window({ days: 'sat', name: 'w' })] })),
      'schedules[0].windows[1].name',
      'duplicate window name "w"',
    ],
    [
      'a name clashing with a default name',
      parse(raw({ windows: [window(), window({ days: 'sat', name: 'windows[0]' })] })),
      'schedules[0].windows[1].name',
      'duplicate window name "windows[0]"',
    ],
    ['a schedule that sets nothing', parse(raw({ windows: [] })), 'schedules[0]', 'sets nothing'],
    [
      'overlapping windows on one day with different params',
      parse(
        raw({
          windows: [
            window({ from: '08:00', to: '12:00', ...es(true) }),
            window({ from: '11:59', to: '13:00', ...es(false) }),
          ],
        }),
      ),
      'schedules[0].windows[1].set.params.ES_ENABLE',
      'ES_ENABLE=false conflicts with window "windows[0]"',
    ],
    [
      "a window crossing midnight into the next day's window",
      parse(
        raw({
          windows: [
            window({ days: 'fri', from: '22:00', to: '02:00', ...es(true) }),
            window({ days: 'sat', from: '01:00', to: '03:00', ...es(false) }),
          ],
        }),
      ),
      'schedules[0].windows[1].set.params.ES_ENABLE',
      'can overlap',
    ],
    [
      'a later window reached by an earlier-declared one from the day before',
      parse(
        raw({
          windows: [
            window({ days: 'sat', from: '01:00', to: '03:00', ...es(false) }),
            window({ days: 'fri', from: '22:00', to: '02:00', ...es(true) }),
          ],
        }),
      ),
      'schedules[0].windows[1].set.params.ES_ENABLE',
      'can overlap',
    ],
    [
      'the last Friday running into the first Saturday of the next month',
      parse(
        raw({
          windows: [
            window({ days: 'fri#L', from: '22:00', to: '02:00', ...es(true) }),
            window({ days: 'sat#1', from: '01:00', to: '03:00', ...es(false) }),
          ],
        }),
      ),
      'schedules[0].windows[1].set.params.ES_ENABLE',
      'can overlap',
    ],
    [
      'a 24-hour window and any window on the next day',
      parse(
        raw({
          windows: [
            window({ days: 'sun', from: '09:00', to: '09:00', ...es(true) }),
            window({ days: 'mon', from: '08:00', to: '08:30', ...es(false) }),
          ],
        }),
      ),
      'schedules[0].windows[1].set.params.ES_ENABLE',
      'can overlap',
    ],
  ])('reports %s at its path', (_problem, schedules, path, message) => {
    expect(validateSchedules(schedules, 'Asia/Shanghai')).toEqual([
      { path, message: expect.stringContaining(message) },
    ]);
  });

  it.each([
    [
      'windows that touch but do not overlap',
      [
        window({ from: '08:00', to: '12:00', ...es(true) }),
        window({ from: '12:00', to: '13:00', ...es(false) }),
      ],
    ],
    [
      'a midnight-crossing window ending as the next one starts',
      [
        window({ days: 'fri', from: '22:00', to: '02:00', ...es(true) }),
        window({ days: 'sat', from: '02:00', to: '03:00', ...es(false) }),
      ],
    ],
    [
      'a midnight-crossing window and a window on a day it does not reach',
      [
        window({ days: 'fri', from: '22:00', to: '02:00', ...es(true) }),
        window({ days: 'sun', from: '01:00', to: '03:00', ...es(false) }),
      ],
    ],
    [
      'nth weekdays that never share a date',
      [
        window({ days: 'sat#1', from: '10:00', to: '12:00', ...es(true) }),
        window({ days: 'sat#2', from: '11:00', to: '13:00', ...es(false) }),
      ],
    ],
    [
      'the last Sunday and a second Monday, which never follows it',
      [
        window({ days: 'sun#L', from: '23:00', to: '01:00', ...es(true) }),
        window({ days: 'mon#2', from: '00:30', to: '02:00', ...es(false) }),
      ],
    ],
    ['overlapping windows that agree on params', [window({ ...es(true) }), window({ ...es(true) })]],
    [
      'overlapping windows that set different params keys',
      [window({ ...es(true) }), window({ set: { params: { RDS_ENABLE: false } } })],
    ],
    [
      'overlapping windows with different counts and statuses (they merge)',
      [
        window({ set: { planedJobCount: 1, status: 'Stopped' } }),
        window({ set: { planedJobCount: 9, status: 'Running' } }),
      ],
    ],
  ])('accepts %s', (_case, windows) => {
    expect(validateSchedules(parse(raw({ windows })), 'Asia/Shanghai')).toEqual([]);
  });

  it('reports an unknown default zone only when a schedule relies on it', () => {
    const relying = parse(
      raw({ name: 'a', jobGroupIds: ['1'] }),
      raw({ name: 'b', jobGroupIds: ['2'], timezone: 'UTC' }),
    );
    const own = parse(raw({ timezone: 'UTC' }));

    expect(validateSchedules(relying, 'Mars/Base')).toEqual([
      {
        path: 'timezone',
        message: 'unknown time zone "Mars/Base", needed by schedules[0] which set no timezone',
      },
    ]);
    expect(validateSchedules(own, 'Mars/Base')).toEqual([]);
  });

  it('reports several problems together, each with its exact path', () => {
    const schedules = parse(
      raw({ name: 'east', jobGroupIds: ['3', '4'] }),
      raw({
        name: 'east',
        jobGroupIds: ['4', '5', '5'],
        windows: [
          window({ name: 'peak', ...es(true), set: { params: { ES_ENABLE: true, RDS_ENABLE: true } } }),
          window({ name: 'peak', days: 'fri', set: { params: { ES_ENABLE: false, RDS_ENABLE: false } } }),
        ],
      }),
    );

    expect(validateSchedules(schedules, 'Asia/Shanghai').map(({ path }) => path)).toEqual([
      'schedules[1].name',
      'schedules[1].jobGroupIds[0]',
      'schedules[1].jobGroupIds[2]',
      'schedules[1].windows[1].name',
      'schedules[1].windows[1].set.params.ES_ENABLE',
      'schedules[1].windows[1].set.params.RDS_ENABLE',
    ]);
  });

  it('reports a bad days token when handed schedules that skipped the schema', () => {
    const unchecked = [
      {
        ...parse(raw())[0]!,
        windows: [{ days: ['mon', 'funday'], from: '07:30', to: '21:00', set: { jobCount: 1 } }],
      },
    ];

    expect(validateSchedules(unchecked, 'UTC')).toEqual([
      { path: 'schedules[0].windows[0].days[1]', message: expect.stringContaining('"funday"') },
    ]);
  });
});
