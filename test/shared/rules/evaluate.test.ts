import { describe, expect, it } from 'vitest';
import { parseEventBridgeEvent } from '../../../shared/fc/eventbridge.js';
import { MAX_BATCH } from '../../../shared/intent/index.js';
import { COMMAND_EVENT_TYPE, COMMAND_RULE_NAME, evaluateEvent } from '../../../shared/rules/evaluate.js';
import { cloudEvent, fixture, fixtureEvent, fixtureEvents, rulesFromYaml } from './helpers.js';

const RULES = rulesFromYaml(`
- name: backlog-scale-up
  match:
    source: acs.cms
    type: ["cms:Alarm:Alert"]
    data: { alertName: stream-backlog, alertState: ALERT }
  then: { action: scale, planedJobCount: 30, jobGroupIds: ["3"] }
- name: backlog-recovered
  match:
    source: acs.cms
    data: { alertName: stream-backlog, alertState: OK }
  then: { action: scale, planedJobCount: 10, jobGroupIds: ["3"] }
- name: per-group-command
  match: { type: com.example.jobgroup.scale }
  then: { action: scale, jobGroupId: { from: data.jobGroupId }, planedJobCount: { from: data.count } }
`);

describe('evaluateEvent', () => {
  it('turns the CloudMonitor alarm into the rule that matches it', () => {
    const event = fixtureEvent('cms-alarm.json');

    expect(evaluateEvent(RULES, event)).toEqual({
      matched: [
        {
          rule: 'backlog-scale-up',
          result: { ok: true, changes: [{ action: 'scale', jobGroupId: '3', planedJobCount: 30 }] },
        },
      ],
    });
  });

  it('turns a custom scale event into a change built from its data', () => {
    const event = fixtureEvent('custom-scale.json');

    expect(evaluateEvent(RULES, event).matched).toEqual([
      {
        rule: 'per-group-command',
        result: { ok: true, changes: [{ action: 'scale', jobGroupId: '3', planedJobCount: 24 }] },
      },
    ]);
  });

  it('answers an event no rule matches with no outcomes (acknowledged, not failed)', () => {
    const event = cloudEvent({ type: 'com.example.unrelated', data: { a: 1 } });

    expect(evaluateEvent(RULES, event)).toEqual({ matched: [] });
  });

  it('applies ALL matching rules, in config order', () => {
    const rules = rulesFromYaml(`
- { name: second-group, match: { source: acs.cms }, then: { action: stop, jobGroupId: "7" } }
- { name: unrelated, match: { source: acs.ecs }, then: { action: stop, jobGroupId: "8" } }
- { name: first-group, match: { type: "cms:Alarm:Alert" }, then: { action: scale, jobGroupId: "3", planedJobCount: 30 } }
`);

    const { matched } = evaluateEvent(rules, fixtureEvent('cms-alarm.json'));

    expect(matched.map((outcome) => outcome.rule)).toEqual(['second-group', 'first-group']);
  });

  it('reports a matched rule whose path is missing, without blocking the other rules', () => {
    const rules = rulesFromYaml(`
- { name: needs-group, match: { source: acs.cms }, then: { action: stop, jobGroupId: { from: data.labels.group } } }
- { name: fixed, match: { source: acs.cms }, then: { action: stop, jobGroupId: "7" } }
`);

    const { matched } = evaluateEvent(rules, fixtureEvent('cms-alarm.json'));

    expect(matched).toEqual([
      {
        rule: 'needs-group',
        result: {
          ok: false,
          code: 'RULE_PATH_MISSING',
          field: 'jobGroupId',
          message: expect.stringContaining('data.labels.group'),
        },
      },
      { rule: 'fixed', result: { ok: true, changes: [{ action: 'stop', jobGroupId: '7' }] } },
    ]);
  });

  it('evaluates every event of a batch, coercing a count that arrived as text', () => {
    const results = fixtureEvents('batch.json').map((event) => evaluateEvent(RULES, event).matched);

    expect(results).toEqual([
      [
        {
          rule: 'per-group-command',
          result: { ok: true, changes: [{ action: 'scale', jobGroupId: '3', planedJobCount: 24 }] },
        },
      ],
      [
        {
          rule: 'per-group-command',
          result: { ok: true, changes: [{ action: 'scale', jobGroupId: '7', planedJobCount: 6 }] },
        },
      ],
      [
        {
          rule: COMMAND_RULE_NAME,
          index: 0,
          result: { ok: true, changes: [{ action: 'start', jobGroupId: '11' }] },
        },
      ],
    ]);
  });

  it('evaluates a Kafka batch', () => {
    const changes = fixtureEvents('kafka-batch.json').flatMap((event) =>
      evaluateEvent(RULES, event).matched.flatMap((outcome) =>
        outcome.result.ok ? outcome.result.changes : [],
      ),
    );

    expect(changes).toEqual([
      { action: 'scale', jobGroupId: '3', planedJobCount: 30 },
      { action: 'scale', jobGroupId: '7', planedJobCount: 8 },
    ]);
  });

  it('gives the same outcome for a redelivered event (targets are absolute)', () => {
    const delivery = fixture('eventbridge/cms-alarm.json');
    const [first] = parseEventBridgeEvent(delivery).events;
    const [again] = parseEventBridgeEvent(delivery).events;

    expect(first && again && evaluateEvent(RULES, again)).toEqual(first && evaluateEvent(RULES, first));
  });
});

describe(`the built-in command type ${COMMAND_EVENT_TYPE}`, () => {
  it('applies the changes of the command fixture without any rule, one outcome per change', () => {
    const event = fixtureEvent('custom-command.json');

    expect(evaluateEvent([], event)).toEqual({
      matched: [
        {
          rule: COMMAND_RULE_NAME,
          index: 0,
          result: { ok: true, changes: [{ action: 'scale', jobGroupId: '3', planedJobCount: 12 }] },
        },
        {
          rule: COMMAND_RULE_NAME,
          index: 1,
          result: { ok: true, changes: [{ action: 'stop', jobGroupId: '7' }] },
        },
        {
          rule: COMMAND_RULE_NAME,
          index: 2,
          result: {
            ok: true,
            changes: [
              {
                action: 'set-params',
                jobGroupId: '9',
                params: { ES_ENABLE: true, SCHEDULE_FLOW_START_TIME: 'Latest' },
              },
            ],
          },
        },
      ],
    });
  });

  it('does not let one bad change block the others', () => {
    const event = cloudEvent({
      type: COMMAND_EVENT_TYPE,
      data: {
        changes: [
          { action: 'stop', jobGroupId: '3' },
          { action: 'scale', jobGroupId: '4', planedJobCount: 'lots' },
          { action: 'start', jobGroupId: '5' },
        ],
      },
    });

    const { matched } = evaluateEvent([], event);

    expect(matched).toEqual([
      {
        rule: COMMAND_RULE_NAME,
        index: 0,
        result: { ok: true, changes: [{ action: 'stop', jobGroupId: '3' }] },
      },
      {
        rule: COMMAND_RULE_NAME,
        index: 1,
        result: {
          ok: false,
          code: 'INVALID_INPUT',
          field: 'planedJobCount',
          message: expect.stringContaining('changes[1]: planedJobCount'),
        },
      },
      {
        rule: COMMAND_RULE_NAME,
        index: 2,
        result: { ok: true, changes: [{ action: 'start', jobGroupId: '5' }] },
      },
    ]);
  });

  it.each([
    ['no data', undefined, 'data'],
    ['data that is not an object', 'stop 3', 'expected {"changes": [...]}'],
    ['no changes key', { change: [] }, 'data'],
    ['an empty changes list', { changes: [] }, 'data.changes'],
    [
      `more than ${MAX_BATCH} changes`,
      { changes: Array.from({ length: MAX_BATCH + 1 }, () => ({ action: 'stop', jobGroupId: '1' })) },
      'data.changes',
    ],
  ])('reports a command with %s as one INVALID_INPUT outcome', (_label, data, where) => {
    const event = cloudEvent({ type: COMMAND_EVENT_TYPE, ...(data === undefined ? {} : { data }) });

    expect(evaluateEvent([], event).matched).toEqual([
      {
        rule: COMMAND_RULE_NAME,
        result: {
          ok: false,
          code: 'INVALID_INPUT',
          field: 'changes',
          message: expect.stringContaining(where),
        },
      },
    ]);
  });

  it('also applies configured rules that match a command event, after the command', () => {
    const rules = rulesFromYaml(`
- { name: audit, match: { source: com.example.runbooks }, then: { action: start, jobGroupId: "1" } }
`);

    const { matched } = evaluateEvent(rules, fixtureEvent('custom-command.json'));

    expect(matched.map((outcome) => outcome.rule)).toEqual([
      COMMAND_RULE_NAME,
      COMMAND_RULE_NAME,
      COMMAND_RULE_NAME,
      'audit',
    ]);
  });
});
