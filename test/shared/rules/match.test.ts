import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ChangeSchema, MAX_BATCH } from '../../../shared/intent/index.js';
import { matchRule, RULE_ERROR_CODES, resolveThen } from '../../../shared/rules/match.js';
import { MatchSchema } from '../../../shared/rules/schema.js';
import { cloudEvent, fixtureEvent, makeRule } from './helpers.js';

const alarm = fixtureEvent('cms-alarm.json');

/** The event the matching table runs against: an alarm plus arrays, nulls and numbers in data. */
const event = cloudEvent({
  ...alarm,
  data: {
    ...(alarm.data as Record<string, unknown>),
    count: 3,
    enabled: true,
    nothing: null,
    tags: ['video', 'backlog'],
    counts: [1, 2, 3],
    labels: { team: 'ops', group: '3', tier: ['gold', 'silver'] },
    items: [
      { id: 'a', state: 'ok' },
      { id: 'b', state: 'bad' },
    ],
  },
});

const matches = (yaml: string): boolean => matchRule({ match: MatchSchema.parse(parseYaml(yaml)) }, event);

describe('matchRule', () => {
  it.each([
    // exact
    ['exact source', '{ source: acs.cms }', true],
    ['exact source, other value', '{ source: acs.ecs }', false],
    ['every listed key must match', '{ source: acs.cms, type: cms:Other }', false],
    ['an extension attribute', '{ aliyunregionid: cn-shanghai }', true],
    // any-of
    ['any-of type', '{ type: ["cms:Alarm:Alert", "cms:Alarm:Ok"] }', true],
    ['any-of type, none equal', '{ type: ["cms:Alarm:Ok", "cms:Alarm:Insufficient"] }', false],
    ['any-of under data', '{ data: { alertState: [OK, ALERT] } }', true],
    // nested subset
    ['subset of data', '{ data: { alertName: stream-backlog, alertState: ALERT } }', true],
    ['subset of data, one field differs', '{ data: { alertName: stream-backlog, alertState: OK } }', false],
    ['nested subset two levels down', '{ data: { labels: { team: ops } } }', true],
    ['nested subset, nested value differs', '{ data: { labels: { team: db } } }', false],
    // missing fields
    ['a missing data field', '{ data: { severity: critical } }', false],
    ['a missing attribute', '{ dataschema: x }', false],
    ['a nested pattern where the event holds a scalar', '{ data: { alertName: { x: y } } }', false],
    ['exists: true on a present field', '{ data: { alertName: { exists: true } } }', true],
    ['exists: true on a missing field', '{ data: { severity: { exists: true } } }', false],
    ['exists: false on a missing field', '{ data: { severity: { exists: false } } }', true],
    ['exists: false on a present field', '{ data: { alertName: { exists: false } } }', false],
    ['exists: false below a missing parent', '{ data: { missing: { child: { exists: false } } } }', true],
    ['exists: true on a null field (null is present)', '{ data: { nothing: { exists: true } } }', true],
    ['exists in an any-of list', '{ data: { severity: [critical, { exists: false }] } }', true],
    ['exists on a missing attribute', '{ dataschema: { exists: false } }', true],
    // type mismatch: values compare by type
    ['a number pattern against a number', '{ data: { count: 3 } }', true],
    ['a string pattern against a number', '{ data: { count: "3" } }', false],
    ['a number pattern against a numeric string', '{ data: { curValue: 1520 } }', false],
    ['a string pattern against a numeric string', '{ data: { curValue: "1520" } }', true],
    ['a boolean pattern against a boolean', '{ data: { enabled: true } }', true],
    ['a string pattern against a boolean', '{ data: { enabled: "true" } }', false],
    ['a number pattern against a string label', '{ data: { labels: { group: 3 } } }', false],
    // arrays in the event
    ['a scalar against an array containing it', '{ data: { tags: video } }', true],
    ['a scalar against an array not containing it', '{ data: { tags: audio } }', false],
    ['a list against an array, one common element', '{ data: { tags: [audio, backlog] } }', true],
    ['a number against an array of numbers', '{ data: { counts: 2 } }', true],
    ['a nested array element', '{ data: { labels: { tier: silver } } }', true],
    ['a nested pattern against an array of objects', '{ data: { items: { id: b, state: bad } } }', true],
    [
      'a nested pattern that no single element satisfies',
      '{ data: { items: { id: a, state: bad } } }',
      false,
    ],
    // prefix
    ['a prefix on an attribute', '{ source: [{ prefix: "acs." }] }', true],
    ['a bare prefix operator', '{ source: { prefix: acs } }', true],
    ['a prefix that does not match', '{ source: [{ prefix: "com." }] }', false],
    ['a prefix against a number', '{ data: { count: { prefix: "3" } } }', false],
    ['a prefix against an array of strings', '{ data: { tags: { prefix: back } } }', true],
    ['a prefix on a missing field', '{ data: { severity: { prefix: c } } }', false],
  ])('%s → %s', (_label, yaml, expected) => {
    expect(matches(yaml)).toBe(expected);
  });

  it('does not match an event without data against a data pattern', () => {
    const bare = cloudEvent();

    expect(matchRule({ match: { data: { a: { exists: false } } } }, bare)).toBe(true);
    expect(matchRule({ match: { data: { a: 'x' } } }, bare)).toBe(false);
  });

  it('does not see inherited properties', () => {
    const probe = cloudEvent({ data: {} });

    expect(matchRule({ match: { data: { toString: { exists: true } } } }, probe)).toBe(false);
  });
});

describe('resolveThen', () => {
  const scaleEvent = fixtureEvent('custom-scale.json');
  const resolve = (then: unknown, on = scaleEvent) => resolveThen(makeRule('r', { type: 't' }, then), on);

  it('expands the multi-group form with literal values', () => {
    const result = resolve({ action: 'scale', planedJobCount: 30, jobGroupIds: ['3', '7', '3'] });

    expect(result).toEqual({
      ok: true,
      changes: [
        { action: 'scale', jobGroupId: '3', planedJobCount: 30 },
        { action: 'scale', jobGroupId: '7', planedJobCount: 30 },
      ],
    });
  });

  it('takes values from the event by path', () => {
    const result = resolve({
      action: 'scale',
      jobGroupId: { from: 'data.jobGroupId' },
      planedJobCount: { from: 'data.count' },
    });

    expect(result).toEqual({ ok: true, changes: [{ action: 'scale', jobGroupId: '3', planedJobCount: 24 }] });
  });

  it.each([
    [
      'an attribute',
      { action: 'stop', jobGroupId: { from: 'aliyunregionid' } },
      cloudEvent({ aliyunregionid: 'cn-1' }),
      { action: 'stop', jobGroupId: 'cn-1' },
    ],
    [
      'an array index',
      { action: 'start', jobGroupId: { from: 'data.items.1.id' } },
      cloudEvent({ data: { items: [{ id: 'a' }, { id: 'b' }] } }),
      { action: 'start', jobGroupId: 'b' },
    ],
    [
      'the action',
      { action: { from: 'data.verb' }, jobGroupId: '3' },
      cloudEvent({ data: { verb: 'stop' } }),
      { action: 'stop', jobGroupId: '3' },
    ],
    [
      'a params value',
      { action: 'set-params', jobGroupId: '3', params: { ES_ENABLE: { from: 'data.es' } } },
      cloudEvent({ data: { es: false } }),
      { action: 'set-params', jobGroupId: '3', params: { ES_ENABLE: false } },
    ],
    [
      'a whole params object',
      { action: 'set-params', jobGroupId: '3', params: { from: 'data.params' } },
      cloudEvent({ data: { params: { RDS_ENABLE: true } } }),
      { action: 'set-params', jobGroupId: '3', params: { RDS_ENABLE: true } },
    ],
    [
      'a null-free label lookup',
      { action: 'stop', jobGroupId: { from: 'data.labels.group' } },
      cloudEvent({ data: { labels: { group: 'g_7' } } }),
      { action: 'stop', jobGroupId: 'g_7' },
    ],
  ])('takes %s from the event', (_label, then, on, change) => {
    expect(resolve(then, on)).toEqual({ ok: true, changes: [change] });
  });

  it('takes jobGroupIds from the event and removes duplicates', () => {
    const on = cloudEvent({ subject: '9', data: { groups: ['3', '7', '3'] } });

    expect(resolve({ action: 'stop', jobGroupIds: { from: 'data.groups' } }, on)).toEqual({
      ok: true,
      changes: [
        { action: 'stop', jobGroupId: '3' },
        { action: 'stop', jobGroupId: '7' },
      ],
    });
    expect(resolve({ action: 'stop', jobGroupIds: [{ from: 'subject' }, '7'] }, on)).toEqual({
      ok: true,
      changes: [
        { action: 'stop', jobGroupId: '9' },
        { action: 'stop', jobGroupId: '7' },
      ],
    });
  });

  it.each([
    [
      'a missing data field',
      { action: 'scale', jobGroupId: '3', planedJobCount: { from: 'data.size' } },
      'planedJobCount',
      'data.size',
    ],
    ['a missing attribute', { action: 'stop', jobGroupId: { from: 'subject' } }, 'jobGroupId', 'subject'],
    [
      'a path through a scalar',
      { action: 'stop', jobGroupId: { from: 'data.jobGroupId.length' } },
      'jobGroupId',
      'data.jobGroupId.length',
    ],
    [
      'an index past the end',
      { action: 'stop', jobGroupId: { from: 'data.list.5' } },
      'jobGroupId',
      'data.list.5',
    ],
    [
      'a key into an array',
      { action: 'stop', jobGroupId: { from: 'data.list.length' } },
      'jobGroupId',
      'data.list.length',
    ],
    [
      'a nested params value',
      { action: 'set-params', jobGroupId: '3', params: { ES_ENABLE: { from: 'data.es' } } },
      'params',
      'data.es',
    ],
  ])('reports %s as RULE_PATH_MISSING naming the path', (_label, then, field, path) => {
    const on = cloudEvent({ data: { jobGroupId: '3', list: ['a'] } });

    expect(resolve(then, on)).toEqual({
      ok: false,
      code: RULE_ERROR_CODES.pathMissing,
      field,
      message: expect.stringContaining(`"${path}"`),
    });
  });

  it.each([
    ['a non-numeric count', { count: 'abc' }, 'planedJobCount'],
    ['a negative count', { count: -1 }, 'planedJobCount'],
    ['a negative count as text', { count: '-1' }, 'planedJobCount'],
    ['a fractional count', { count: 1.5 }, 'planedJobCount'],
    ['a fractional count as text', { count: '1.5' }, 'planedJobCount'],
    ['a count with spaces', { count: ' 12' }, 'planedJobCount'],
    ['a hexadecimal count', { count: '0x10' }, 'planedJobCount'],
    ['an exponent count', { count: '1e3' }, 'planedJobCount'],
    ['a count above the limit', { count: 10_001 }, 'planedJobCount'],
    ['a count above the limit as text', { count: '10001' }, 'planedJobCount'],
    ['a null count', { count: null }, 'planedJobCount'],
    ['a boolean count', { count: true }, 'planedJobCount'],
    ['a numeric job group id (never coerced)', { jobGroupId: 3 }, 'jobGroupId'],
    ['a job group id with a space', { jobGroupId: 'group 3' }, 'jobGroupId'],
    ['a job group id of 65 characters', { jobGroupId: 'x'.repeat(65) }, 'jobGroupId'],
    ['an object for the job group id', { jobGroupId: { id: '3' } }, 'jobGroupId'],
  ])('reports %s as INVALID_INPUT naming the field', (_label, data, field) => {
    const on = cloudEvent({ data: { jobGroupId: '3', count: 5, ...data } });
    const then = {
      action: 'scale',
      jobGroupId: { from: 'data.jobGroupId' },
      planedJobCount: { from: 'data.count' },
    };

    const result = resolve(then, on);

    expect(result).toEqual({
      ok: false,
      code: RULE_ERROR_CODES.invalidInput,
      field,
      message: expect.stringContaining(field),
    });
    expect(result.ok || result.message).toContain(`(from data.`);
  });

  it.each([
    ['1.5', '"1.5" is not a whole number'],
    [' 12', '" 12" is not a whole number'],
    ['', 'an empty string is not a whole number'],
    ['1\u202e2', '"1\\u{202e}2" is not a whole number'],
  ])('says why the text %j is not a count', (count, says) => {
    const result = resolve(
      { action: 'scale', jobGroupId: '3', planedJobCount: { from: 'data.count' } },
      cloudEvent({ data: { count } }),
    );

    expect(result).toMatchObject({ ok: false, field: 'planedJobCount' });
    expect(result.ok || result.message).toContain(`planedJobCount (from data.count): ${says}`);
  });

  it.each([
    ['12', 12],
    ['0', 0],
    ['007', 7],
    ['10000', 10_000],
  ])('coerces the decimal-integer string %j to %i for a count field', (count, expected) => {
    const on = cloudEvent({ data: { count } });

    const result = resolve({ action: 'scale', jobGroupId: '3', planedJobCount: { from: 'data.count' } }, on);

    expect(result).toEqual({
      ok: true,
      changes: [{ action: 'scale', jobGroupId: '3', planedJobCount: expected }],
    });
  });

  it('coerces every count field, and nothing else', () => {
    const on = cloudEvent({ data: { n: '4', flag: 'true' } });
    const counts = {
      planedJobCount: { from: 'data.n' },
      jobCount: { from: 'data.n' },
      streamPerJob: { from: 'data.n' },
    };

    expect(resolve({ action: 'modify', jobGroupId: '3', ...counts }, on)).toEqual({
      ok: true,
      changes: [{ action: 'modify', jobGroupId: '3', planedJobCount: 4, jobCount: 4, streamPerJob: 4 }],
    });
    expect(
      resolve({ action: 'set-params', jobGroupId: '3', params: { ES_ENABLE: { from: 'data.flag' } } }, on),
    ).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
      field: 'params',
    });
  });

  it('reports a bad action taken from the event as INVALID_INPUT', () => {
    const on = cloudEvent({ data: { verb: 'explode' } });

    expect(resolve({ action: { from: 'data.verb' }, jobGroupId: '3' }, on)).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
      field: 'action',
    });
  });

  it('reports fields the event adds that the action does not take', () => {
    const on = cloudEvent({ data: { params: { ES_ENABLE: true, EVIL: 'x' } } });

    expect(
      resolve({ action: 'set-params', jobGroupId: '3', params: { from: 'data.params' } }, on),
    ).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
      field: 'params',
    });
  });

  it(`refuses more than ${MAX_BATCH} job groups from one event`, () => {
    const on = cloudEvent({ data: { groups: Array.from({ length: MAX_BATCH + 1 }, (_, i) => `g${i}`) } });

    expect(resolve({ action: 'stop', jobGroupIds: { from: 'data.groups' } }, on)).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
      field: 'jobGroupIds',
    });
  });

  it('reports a bad id among event-provided jobGroupIds, naming the element', () => {
    const on = cloudEvent({ data: { groups: ['3', 'no good'] } });

    const result = resolve({ action: 'stop', jobGroupIds: { from: 'data.groups' } }, on);

    expect(result).toMatchObject({ ok: false, code: 'INVALID_INPUT', field: 'jobGroupIds' });
    expect(result.ok || result.message).toContain('jobGroupIds.1');
  });

  it('only ever returns changes that ChangeSchema accepts', () => {
    const result = resolve({
      action: 'modify',
      jobGroupIds: ['a', 'b'],
      status: 'Running',
      params: { DATAHUB_ENABLE: true },
    });

    expect(result.ok).toBe(true);
    for (const change of result.ok ? result.changes : []) expect(ChangeSchema.parse(change)).toEqual(change);
  });
});
