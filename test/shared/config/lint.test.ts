import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../shared/config/file.js';
import { lintConfig } from '../../../shared/config/lint.js';

function lint(schedules: unknown[]) {
  const { config, issues } = checkConfig({ schedules });
  if (!config) throw new Error(JSON.stringify(issues));
  return lintConfig(config);
}

const window = (fields: Record<string, unknown>) => ({
  days: 'daily',
  from: '22:00',
  to: '06:00',
  ...fields,
});

describe('schedule lints (warnings of autopilot validate)', () => {
  it('warns about a field a window sets that nothing ever sets back', () => {
    const warnings = lint([
      {
        name: 'night',
        jobGroupIds: ['1'],
        windows: [window({ name: 'stop', set: { status: 'Stopped' } })],
        otherwise: { planedJobCount: 4 },
      },
    ]);

    expect(warnings).toEqual([
      {
        path: 'schedules[0].windows[0].set.status',
        message:
          'sets status to "Stopped", and neither otherwise nor another window ever sets it back: after the first occurrence the group keeps it for good; add status to otherwise',
      },
    ]);
  });

  it('says nothing when otherwise or another window sets the field, for Running, or while otherwise stops', () => {
    const warnings = lint([
      {
        name: 'a',
        jobGroupIds: ['1'],
        windows: [window({ set: { status: 'Stopped' } })],
        otherwise: { status: 'Running' },
      },
      {
        name: 'b',
        jobGroupIds: ['2'],
        windows: [
          window({ name: 'low', set: { planedJobCount: 2 } }),
          window({ name: 'high', days: 'sat', from: '08:00', to: '20:00', set: { planedJobCount: 9 } }),
        ],
      },
      { name: 'c', jobGroupIds: ['3'], windows: [window({ set: { status: 'Running' } })] },
      {
        name: 'd',
        jobGroupIds: ['4'],
        windows: [window({ set: { planedJobCount: 3, status: 'Running' } })],
        otherwise: { status: 'Stopped' },
      },
    ]);

    expect(warnings).toEqual([]);
  });

  it('warns that a window whose to equals its from lasts 24 hours', () => {
    const warnings = lint([
      {
        name: 'a',
        jobGroupIds: ['1'],
        windows: [
          window({
            name: 'all-saturday',
            days: 'sat',
            from: '06:00',
            to: '06:00',
            set: { planedJobCount: 2 },
          }),
        ],
        otherwise: { planedJobCount: 1 },
      },
    ]);

    expect(warnings).toEqual([
      {
        path: 'schedules[0].windows[0].to',
        message:
          'to equals from (06:00): each occurrence lasts 24 hours, until 06:00 the next day (check that this is meant)',
      },
    ]);
  });
});

describe('config errors a new user makes', () => {
  it.each([
    [{ jobgroups: {} }, 'jobgroups', 'unknown field "jobgroups" (did you mean "jobGroups"?)'],
    [{ schedule: [] }, 'schedule', 'unknown field "schedule" (did you mean "schedules"?)'],
    [{ reconcile: { qsp: 5 } }, 'reconcile.qsp', 'unknown field "qsp" (did you mean "qps"?)'],
    [
      {
        schedules: [
          { name: 'a', jobGroupIds: ['1'], windows: [window({ form: '07:00', set: { jobCount: 1 } })] },
        ],
      },
      'schedules[0].windows[0].form',
      'unknown field "form" (did you mean "from"?)',
    ],
    [
      { calendars: { cn: { holiday: [] } } },
      'calendars.cn.holiday',
      'unknown field "holiday" (did you mean "holidays"?)',
    ],
    [{ reconcile: { qps: '2.5' } }, 'reconcile.qps', 'expected a number, got the string "2.5"'],
    [
      {
        schedules: [
          { name: 'a', jobGroupIds: ['1'], windows: [{ from: '07:00', to: '08:00', set: { jobCount: 1 } }] },
        ],
      },
      'schedules[0].windows[0].days',
      'is required',
    ],
    [
      { schedules: [{ name: 'a', jobGroupIds: ['1'], otherwise: {} }] },
      'schedules[0].otherwise',
      'must set at least one field; leave otherwise out to touch nothing outside the windows',
    ],
  ])('%j → %s: %s', (document, path, message) => {
    expect(checkConfig(document).issues).toContainEqual({ path, message });
  });
});
