import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RuleSchema, validateRules } from '../../../shared/rules/schema.js';
import { formatPath } from '../../../shared/validation.js';
import { rulesFromYaml } from './helpers.js';

/** The example of issue 5, verbatim. */
const ISSUE_EXAMPLE = `
- name: backlog-scale-up
  match:                                   # every listed field must match; lists mean "any of"
    source: acs.cms
    type: ["cms:Alarm:Alert"]
    data: { alertName: stream-backlog, alertState: ALERT }   # subset match on nested fields
  then: { action: scale, planedJobCount: 30, jobGroupIds: ["3"] }
- name: per-group-command
  match: { type: com.example.jobgroup.scale }
  then: { action: scale, jobGroupId: { from: data.jobGroupId }, planedJobCount: { from: data.count } }
`;

/** Every problem of one YAML rule, as `path: message` lines (paths relative to the rule). */
function problems(yaml: string): string[] {
  const result = RuleSchema.safeParse(parseYaml(yaml));
  return result.success
    ? []
    : result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

const rule = (match: string, then = '{ action: stop, jobGroupId: "3" }', name = 'r') =>
  `{ name: ${name}, match: ${match}, then: ${then} }`;

describe('RuleSchema', () => {
  it('accepts the example of issue 5', () => {
    const rules = rulesFromYaml(ISSUE_EXAMPLE);

    expect(rules.map((r) => r.name)).toEqual(['backlog-scale-up', 'per-group-command']);
    expect(rules[1]?.then).toEqual({
      action: 'scale',
      jobGroupId: { from: 'data.jobGroupId' },
      planedJobCount: { from: 'data.count' },
    });
    expect(validateRules(rules)).toEqual([]);
  });

  it.each([
    ['prefix and exists operators', rule('{ source: [{ prefix: "acs." }], subject: { exists: true } }')],
    ['an extension attribute', rule('{ aliyunregionid: [cn-shanghai, cn-hangzhou] }')],
    [
      'numbers and booleans under data',
      rule('{ type: t, data: { count: [1, 2], on: true, labels: { a: { exists: false } } } }'),
    ],
    [
      'a from for the action',
      rule('{ type: t }', '{ action: { from: data.action }, jobGroupId: { from: data.id } }'),
    ],
    [
      'a from inside params',
      rule(
        '{ type: t }',
        '{ action: set-params, jobGroupId: "3", params: { ES_ENABLE: { from: data.es } } }',
      ),
    ],
    [
      'a from inside jobGroupIds',
      rule('{ type: t }', '{ action: start, jobGroupIds: [{ from: subject }, "7"] }'),
    ],
    [
      'a modify with every field',
      rule(
        '{ type: t }',
        '{ action: modify, jobGroupId: g-1, jobGroupName: name, status: Stopped, planedJobCount: 0 }',
      ),
    ],
  ])('accepts %s', (_label, yaml) => {
    expect(problems(yaml)).toEqual([]);
  });

  it.each([
    ['a name with a space', rule('{ type: t }', undefined, '"my rule"'), 'name: must be 1-64 characters'],
    [
      'a name with ":" (reserved for built-ins)',
      rule('{ type: t }', undefined, '"builtin:x"'),
      'name: must be',
    ],
    [
      'an unknown rule key',
      '{ name: r, match: { type: t }, then: { action: stop, jobGroupId: "3" }, when: x }',
      'Unrecognized key',
    ],
    ['an empty match', rule('{}'), 'match: match needs at least one attribute'],
    ['a match that is a list', rule('[type]'), 'match: match must be a mapping'],
    [
      'a payload field at the top level',
      rule('{ alertName: stream-backlog }'),
      'match.alertName: "alertName" is not a CloudEvent attribute',
    ],
    [
      'a number for a string attribute',
      rule('{ subject: 3 }'),
      'match.subject: subject is always a string: quote the value',
    ],
    [
      'a number in a list for a string attribute',
      rule('{ type: [a, 3] }'),
      'match.type: type is always a string',
    ],
    [
      'a nested pattern on an attribute',
      rule('{ subject: { a: b } }'),
      'match.subject: an attribute matches a value',
    ],
    ['an empty list', rule('{ type: [] }'), 'match.type: an empty list matches nothing'],
    [
      'a YAML key without a value',
      rule('{ type: t, data: { alertName: } }'),
      'match.data.alertName: a pattern cannot be empty or null',
    ],
    [
      'a nested list',
      rule('{ type: [[a]] }'),
      'match.type[0]: a list holds values or {prefix}/{exists} operators',
    ],
    [
      'a nested pattern in a list',
      rule('{ type: t, data: { a: [{ b: c }] } }'),
      'match.data.a[0]: a list holds values',
    ],
    [
      'a prefix that is not a string',
      rule('{ type: t, data: { a: { prefix: 3 } } }'),
      'match.data.a.prefix: prefix takes a non-empty string',
    ],
    [
      'an exists that is not a boolean',
      rule('{ type: t, data: { a: { exists: "yes" } } }'),
      'match.data.a.exists: exists takes true or false',
    ],
    [
      'an empty nested pattern',
      rule('{ type: t, data: { labels: {} } }'),
      'match.data.labels: an empty pattern matches anything',
    ],
    [
      'a __proto__ key in a pattern',
      rule('{ type: t, data: { constructor: x } }'),
      'match.data.constructor: "constructor" is a reserved key',
    ],
    ['a non-finite number', rule('{ type: t, data: { a: .inf } }'), 'match.data.a: numbers must be finite'],
    ['then as a list', rule('{ type: t }', '[stop]'), 'then: then must be a mapping'],
    [
      'both jobGroupId and jobGroupIds',
      rule('{ type: t }', '{ action: stop, jobGroupId: "3", jobGroupIds: ["4"] }'),
      'then: then needs exactly one of jobGroupId or jobGroupIds',
    ],
    [
      'neither jobGroupId nor jobGroupIds',
      rule('{ type: t }', '{ action: stop }'),
      'then: then needs exactly one of',
    ],
    ['no action', rule('{ type: t }', '{ jobGroupId: "3" }'), 'then.action: then needs an action'],
    [
      'an unknown action',
      rule('{ type: t }', '{ action: scale-up, jobGroupId: "3" }'),
      'then.action: action must be one of scale, stop, start, set-params, modify',
    ],
    [
      'a misspelt field',
      rule('{ type: t }', '{ action: scale, jobGroupId: "3", planedJobcount: 3, planedJobCount: 3 }'),
      'then.planedJobcount: unknown field "planedJobcount" for action scale',
    ],
    [
      'a field of another action',
      rule('{ type: t }', '{ action: stop, jobGroupId: "3", planedJobCount: 3 }'),
      'then.planedJobCount: unknown field',
    ],
    [
      'a missing required field',
      rule('{ type: t }', '{ action: scale, jobGroupId: "3" }'),
      'then.planedJobCount: action scale needs planedJobCount',
    ],
    [
      'a negative count',
      rule('{ type: t }', '{ action: scale, jobGroupId: "3", planedJobCount: -1 }'),
      'then.planedJobCount: must be at least 0, got -1',
    ],
    [
      'a quoted count (literals are not coerced)',
      rule('{ type: t }', '{ action: scale, jobGroupId: "3", planedJobCount: "12" }'),
      'then.planedJobCount: expected a whole number, got the string "12"',
    ],
    [
      'a numeric job group id',
      rule('{ type: t }', '{ action: stop, jobGroupId: 3 }'),
      'then.jobGroupId: expected a string, got 3',
    ],
    [
      'a bad job group id in a list',
      rule('{ type: t }', '{ action: stop, jobGroupIds: ["3", "bad id!"] }'),
      'then.jobGroupIds[1]: must be 1-64 characters',
    ],
    [
      'a bad params key',
      rule('{ type: t }', '{ action: set-params, jobGroupId: "3", params: { ES: true } }'),
      'then.params: Unrecognized key',
    ],
    [
      'a from path not starting with an attribute',
      rule('{ type: t }', '{ action: stop, jobGroupId: { from: Data.id } }'),
      'then.jobGroupId.from: path "Data.id" must start with a CloudEvent attribute',
    ],
    [
      'a from path with an empty segment',
      rule('{ type: t }', '{ action: stop, jobGroupId: { from: data..id } }'),
      'then.jobGroupId.from: path "data..id" has an empty',
    ],
    [
      'a from path through __proto__',
      rule('{ type: t }', '{ action: stop, jobGroupId: { from: data.__proto__.x } }'),
      'reserved segment "__proto__"',
    ],
    [
      'a from that is not a string',
      rule('{ type: t }', '{ action: stop, jobGroupId: { from: 3 } }'),
      'then.jobGroupId.from: from takes a dotted path string',
    ],
    [
      'a from with other keys',
      rule('{ type: t }', '{ action: stop, jobGroupId: { from: data.id, default: "3" } }'),
      'then.jobGroupId: {from: …} takes no other keys (found default)',
    ],
    [
      'an unknown field next to a from action',
      rule('{ type: t }', '{ action: { from: data.a }, jobGroupId: "3", size: 3 }'),
      'then.size: unknown field "size"',
    ],
  ])('rejects %s', (_label, yaml, expected) => {
    const found = problems(yaml);

    expect(
      found.some((line) => line.includes(expected)),
      `got: ${found.join(' | ')}`,
    ).toBe(true);
  });

  it('reports every problem of a rule at once, each with its path', () => {
    const found = problems(
      rule('{ alertName: x, type: [] }', '{ action: scale, jobGroupId: "bad id!", planedJobCount: -1 }'),
    );

    expect(found).toEqual([
      expect.stringMatching(/^match\.alertName: /),
      expect.stringMatching(/^match\.type: /),
      expect.stringMatching(/^then\.jobGroupId: /),
      expect.stringMatching(/^then\.planedJobCount: /),
    ]);
  });
});

describe('validateRules', () => {
  it('reports a duplicate rule name with its config path', () => {
    const rules = rulesFromYaml(`
- ${rule('{ type: a }', undefined, 'same')}
- ${rule('{ type: b }', undefined, 'other')}
- ${rule('{ type: c }', undefined, 'same')}
`);

    expect(validateRules(rules)).toEqual([
      { path: 'rules[2].name', message: 'duplicate rule name "same" (also rules[0])' },
    ]);
  });

  it.each([
    ['prometheus.alertmanager', 'labels', '3', 'rules[0].match.data.labels.jobgroup'],
    ['[grafana]', 'annotations', '[true, "x"]', 'rules[0].match.data.annotations.jobgroup'],
  ])('reports a non-string %s %s pattern: alert fields are always strings', (source, field, value, path) => {
    const rules = rulesFromYaml(
      `- ${rule(`{ source: ${source}, data: { ${field}: { jobgroup: ${value} } } }`)}`,
    );

    expect(validateRules(rules)).toEqual([
      { path, message: expect.stringContaining('always strings: quote the value') },
    ]);
  });

  it('leaves numbers alone for sources whose data may hold numbers', () => {
    const rules = rulesFromYaml(`- ${rule('{ source: com.example, data: { labels: { jobgroup: 3 } } }')}`);

    expect(validateRules(rules)).toEqual([]);
  });

  it('is the cross-rule half: z.array(RuleSchema) alone accepts duplicates', () => {
    const document = parseYaml(`[${rule('{ type: a }')}, ${rule('{ type: b }')}]`);

    expect(z.array(RuleSchema).safeParse(document).success).toBe(true);
  });
});
