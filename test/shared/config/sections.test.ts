import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { checkConfigFor, configDigest, loadConfigFor } from '../../../shared/config/core.js';
import { checkConfig } from '../../../shared/config/file.js';
import { rulesSection } from '../../../shared/rules/section.js';
import { schedulesSection } from '../../../shared/schedule/section.js';

// Each function validates the config sections it reads (the scheduler: schedules; the events function and
// the alert hooks: rules); `autopilot validate` and the build check the whole file.

const rule: unknown = parseYaml(`
name: scale-on-alarm
match: { source: acs.cms }
then: { action: scale, jobGroupId: "3", planedJobCount: 12 }
`);
const schedule = {
  name: 'rush',
  jobGroupIds: ['3'],
  windows: [{ days: 'mon-fri', from: '07:30', to: '21:00', set: { planedJobCount: 10 } }],
};
const brokenSchedule = { ...schedule, windows: [{ ...schedule.windows[0], from: '25:00' }] };

describe('config sections per function', () => {
  it('reads only its own sections: a broken schedule does not stop the rules, and reads as []', () => {
    const document = { timezone: 'Asia/Shanghai', schedules: [brokenSchedule], rules: [rule] };

    const rulesView = checkConfigFor(document, [rulesSection]);
    const schedulerView = checkConfigFor(document, [schedulesSection]);

    expect(rulesView.issues).toEqual([]);
    expect(rulesView.config?.rules).toHaveLength(1);
    expect(rulesView.config?.schedules).toEqual([]);
    expect(schedulerView.config).toBeUndefined();
    expect(schedulerView.issues.map((issue) => issue.path)).toContain('schedules[0].windows[0].from');
  });

  it('checks cross-entry rules of its sections too (duplicate rule names)', () => {
    const { issues } = checkConfigFor({ rules: [rule, rule] }, [rulesSection]);

    expect(issues.map((issue) => issue.path).join(' ')).toMatch(/rules\[1\]/);
  });

  it('refuses a misspelt section name in every view, as the whole-file check does', () => {
    const document = { schedule: [schedule] };

    for (const sections of [[], [rulesSection], [schedulesSection]]) {
      const { config, issues } = checkConfigFor(document, sections);
      expect(config).toBeUndefined();
      expect(issues[0]?.message).toMatch(/schedule/);
    }
    expect(checkConfig(document).config).toBeUndefined();
  });

  it('shares the head of the file with the whole-file check: registry, time zone, reconcile defaults', () => {
    const document = {
      timezone: 'Europe/London',
      jobGroups: { '3': { jobGroupName: 'JobGroupName', algoLibId: '2', resourceProfileId: '23' } },
      schedules: [schedule],
      rules: [rule],
    };

    const { config } = checkConfigFor(document, []);
    const whole = checkConfig(document).config;

    expect(config).toMatchObject({ timezone: 'Europe/London', schedules: [], rules: [] });
    expect(config?.jobGroups).toEqual(whole?.jobGroups);
    expect(config?.reconcile).toEqual(whole?.reconcile);
    expect(whole?.schedules).toHaveLength(1);
    expect(whole?.rules).toHaveLength(1);
  });
});

describe('the config text the build validated', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'autopilot-config-'));
  const write = (name: string, document: unknown) => {
    const text = `${JSON.stringify(document, null, 2)}\n`;
    writeFileSync(path.join(dir, name), text);
    return text;
  };
  const shipped = { ...checkConfig({ schedules: [schedule], rules: [rule] }).config };

  it('is used as it is when the text has the stamped digest, sections not read here empty', () => {
    // `reconcile` cut short: parsing would fill its defaults back in, so what comes out shows it was not parsed.
    const trusted = { ...shipped, reconcile: { concurrency: 3 } };
    const digest = configDigest(write('shipped.json', trusted));

    const config = loadConfigFor([rulesSection], 'shipped.json', dir, { trustedDigest: digest });

    expect(config.rules).toEqual(shipped.rules);
    expect(config.schedules).toEqual([]);
    expect(config.reconcile).toEqual(trusted.reconcile);
    // The same text under another digest is parsed: defaults filled in.
    expect(loadConfigFor([rulesSection], 'shipped.json', dir).reconcile).toEqual({
      ...shipped.reconcile,
      concurrency: 3,
    });
  });

  it('is validated like any other file once its text differs from what the build validated', () => {
    const digest = configDigest(write('shipped.json', shipped));
    write('edited.json', { ...shipped, rules: [rule, rule] });

    expect(() => loadConfigFor([rulesSection], 'edited.json', dir, { trustedDigest: digest })).toThrow(
      /rules\[1\]/,
    );
  });
});
