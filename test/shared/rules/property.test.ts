import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CloudEvent, CloudEventSchema, parseEventBridgeEvent } from '../../../shared/fc/eventbridge.js';
import { ChangeSchema } from '../../../shared/intent/index.js';
import { parseAlertWebhook } from '../../../shared/rules/alerts.js';
import { COMMAND_EVENT_TYPE, evaluateEvent } from '../../../shared/rules/evaluate.js';
import { isPlainObject } from '../../../shared/rules/json.js';
import { matchRule, resolveThen } from '../../../shared/rules/match.js';
import { type Rule, RuleSchema } from '../../../shared/rules/schema.js';
import { makeRule, rulesFromYaml } from './helpers.js';

const RUNS = { numRuns: 300 };

const ACTIONS = ['scale', 'stop', 'start', 'set-params', 'modify'] as const;
const PATHS = [
  'data',
  'data.jobGroupId',
  'data.count',
  'data.labels.group',
  'data.labels.count',
  'data.items.0',
  'data.verb',
  'data.params',
  'data.groups',
  'subject',
  'type',
] as const;

const jobGroupId = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
const anyFrom = fc.constantFrom(...PATHS).map((from) => ({ from }));
/** `{from}` refs that usually point at a value of the right kind, sometimes anywhere. */
const idFrom = fc.oneof(
  {
    arbitrary: fc
      .constantFrom('data.jobGroupId', 'data.labels.group', 'subject', 'data.items.0')
      .map((from) => ({ from })),
    weight: 4,
  },
  { arbitrary: anyFrom, weight: 1 },
);
const countFrom = fc.oneof(
  { arbitrary: fc.constantFrom('data.count', 'data.labels.count').map((from) => ({ from })), weight: 4 },
  { arbitrary: anyFrom, weight: 1 },
);
const scalar = fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -3, max: 20_000 }), fc.boolean());
const mostly = <T, U>(good: fc.Arbitrary<T>, junk: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: good, weight: 4 }, { arbitrary: junk, weight: 1 });

/** A change as a command event carries it: usually valid, sometimes not. */
const commandChange = mostly(
  fc.oneof(
    fc.record({ action: fc.constantFrom('stop', 'start'), jobGroupId }),
    fc.record({ action: fc.constant('scale'), jobGroupId, planedJobCount: fc.nat(10_000) }),
  ),
  fc.jsonValue(),
);

/** Event data that usually hits the rule paths, with wrong types, numeric strings and junk mixed in. */
const data: fc.Arbitrary<unknown> = mostly(
  fc.record({
    jobGroupId: mostly(jobGroupId, fc.jsonValue()),
    count: mostly(fc.oneof(fc.nat(10_000), fc.nat(10_000).map(String)), fc.jsonValue()),
    labels: fc.record(
      {
        group: mostly(jobGroupId, fc.string()),
        count: mostly(fc.nat(10_000).map(String), fc.string()),
        team: fc.string(),
      },
      { requiredKeys: [] },
    ),
    items: fc.array(mostly(jobGroupId, fc.jsonValue()), { maxLength: 3 }),
    verb: fc.constantFrom(...ACTIONS, 'explode'),
    params: mostly(fc.record({ ES_ENABLE: fc.boolean() }, { requiredKeys: [] }), fc.jsonValue()),
    groups: fc.array(mostly(jobGroupId, fc.jsonValue()), { maxLength: 4 }),
  }),
  fc.oneof(fc.record({ changes: fc.array(commandChange, { maxLength: 4 }) }), fc.jsonValue()),
);

const event: fc.Arbitrary<CloudEvent> = fc
  .record(
    {
      id: fc.string({ minLength: 1, maxLength: 8 }),
      source: fc.constantFrom('acs.cms', 'com.example', 'prometheus.alertmanager'),
      specversion: fc.constant('1.0' as const),
      type: fc.constantFrom('cms:Alarm:Alert', 'com.example.jobgroup.scale', COMMAND_EVENT_TYPE, 'x'),
      subject: fc.oneof(jobGroupId, fc.string()),
      aliyunregionid: fc.constantFrom('cn-shanghai', 'cn-hangzhou'),
      data,
    },
    { requiredKeys: ['id', 'source', 'specversion', 'type'] },
  )
  .map((fields) => fields as CloudEvent);

/** A data pattern: leaves, any-of lists, operators, nested subsets. */
const pattern: fc.Arbitrary<unknown> = fc.letrec<{ pattern: unknown }>((tie) => ({
  pattern: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(scalar, { minLength: 1, maxLength: 3 }),
    fc.string({ minLength: 1, maxLength: 3 }).map((prefix) => ({ prefix })),
    fc.boolean().map((exists) => ({ exists })),
    fc.dictionary(
      fc.constantFrom('jobGroupId', 'count', 'labels', 'group', 'items', 'verb'),
      tie('pattern'),
      {
        minKeys: 1,
        maxKeys: 3,
      },
    ),
  ),
})).pattern;

const match = fc
  .record(
    {
      source: fc.constantFrom('acs.cms', 'com.example', ['acs.cms', 'prometheus.alertmanager']),
      type: fc.oneof(
        fc.constantFrom('cms:Alarm:Alert', 'com.example.jobgroup.scale'),
        fc.constant([{ prefix: 'c' }]),
      ),
      aliyunregionid: fc.constantFrom('cn-shanghai', { exists: true }),
      data: pattern,
    },
    { requiredKeys: [] },
  )
  .filter((m) => Object.keys(m).length > 0);

const count = fc.oneof(fc.nat(10_000), countFrom);
const params = mostly(fc.record({ ES_ENABLE: fc.oneof(fc.boolean(), anyFrom) }), anyFrom);
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** The fields each action takes, as literals of the right kind or `{from}` refs. */
const fields = fc.oneof(
  fc.record({ action: fc.constant('scale'), planedJobCount: count, streamPerJob: optional(count) }),
  fc.record({ action: fc.constantFrom('stop', 'start') }),
  fc.record({ action: fc.constant('set-params'), params }),
  fc.record({ action: fc.constant('modify'), planedJobCount: optional(count), params: optional(params) }),
  fc.record({ action: anyFrom, planedJobCount: optional(count), params: optional(params) }),
);

/** A `then` that is valid config: the single or the multi-group form. */
const then = fc
  .tuple(
    fields,
    fc.oneof(
      fc.record({ jobGroupId: fc.oneof(jobGroupId, idFrom) }),
      fc.record({
        jobGroupIds: mostly(fc.array(fc.oneof(jobGroupId, idFrom), { minLength: 1, maxLength: 3 }), anyFrom),
      }),
    ),
  )
  .map(([f, target]) =>
    Object.fromEntries(Object.entries({ ...f, ...target }).filter(([, v]) => v !== undefined)),
  );

/** Rules that pass RuleSchema (the config would refuse the others). */
const rule: fc.Arbitrary<Rule> = fc
  .tuple(match, then)
  .map(([m, t]) =>
    Object.fromEntries([
      ['name', 'r'],
      ['match', m],
      ['then', t],
    ]),
  )
  .filter((candidate) => RuleSchema.safeParse(candidate).success)
  .map((candidate) => RuleSchema.parse(candidate));

const FIXED_RULES = rulesFromYaml(`
- { name: fixed, match: { source: acs.cms }, then: { action: scale, jobGroupIds: ["3", "7"], planedJobCount: 30 } }
- { name: from-data, match: { type: com.example.jobgroup.scale }, then: { action: scale, jobGroupId: { from: data.jobGroupId }, planedJobCount: { from: data.count } } }
- { name: from-labels, match: { data: { labels: { team: { exists: true } } } }, then: { action: stop, jobGroupId: { from: data.labels.group } } }
`);

function changesOf(rules: readonly Rule[], e: CloudEvent): unknown[] {
  return evaluateEvent(rules, e).matched.flatMap((outcome) =>
    outcome.result.ok ? outcome.result.changes : [],
  );
}

describe('property: parsing never throws', () => {
  it('handles arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const { events, invalid } = parseEventBridgeEvent(Buffer.from(bytes));
        for (const e of events) {
          expect(CloudEventSchema.safeParse(e).success).toBe(true);
          expect(z.json().optional().safeParse(e.data).success).toBe(true);
        }
        expect(events.length + invalid.length).toBeGreaterThanOrEqual(0);
      }),
      RUNS,
    );
  });

  it('handles arbitrary JSON, as a Buffer, as a parsed value, and as a Kafka array of strings', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(fc.jsonValue(), { maxLength: 4 }), (value, many) => {
        const outcomes = [
          parseEventBridgeEvent(Buffer.from(JSON.stringify(value))),
          parseEventBridgeEvent(value),
          parseEventBridgeEvent(Buffer.from(JSON.stringify(many.map((v) => JSON.stringify(v))))),
        ];
        for (const { events, invalid } of outcomes) {
          for (const e of events) {
            expect(CloudEventSchema.safeParse(e).success).toBe(true);
            expect(z.json().optional().safeParse(e.data).success).toBe(true);
          }
          for (const entry of invalid) expect(['INVALID_JSON', 'INVALID_INPUT']).toContain(entry.code);
        }
      }),
      RUNS,
    );
  });

  it('accounts for every entry of a batch exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(event, fc.jsonValue()), { maxLength: 6 }), (entries) => {
        const { events, invalid } = parseEventBridgeEvent(Buffer.from(JSON.stringify(entries)));
        expect(events.length + invalid.length).toBe(entries.length);
      }),
      RUNS,
    );
  });

  it('handles arbitrary JSON as an alert webhook body', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.constantFrom('alertmanager' as const, 'grafana' as const),
        (body, tool) => {
          const result = parseAlertWebhook(tool, body);
          for (const e of result.ok ? result.events : []) {
            expect(CloudEventSchema.safeParse(e).success).toBe(true);
            expect(z.json().optional().safeParse(e.data).success).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });
});

describe('property: rules never throw and only emit valid changes', () => {
  it('matches and resolves arbitrary rules against arbitrary events', () => {
    fc.assert(
      fc.property(rule, event, (r, e) => {
        matchRule(r, e);
        const result = resolveThen(r, e);
        if (result.ok)
          for (const change of result.changes) expect(ChangeSchema.safeParse(change).success).toBe(true);
        else expect(['RULE_PATH_MISSING', 'INVALID_INPUT']).toContain(result.code);
      }),
      RUNS,
    );
  });

  it('evaluates arbitrary events (commands included) with fixed and arbitrary rules', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 3 }), event, (rules, e) => {
        for (const change of changesOf([...FIXED_RULES, ...rules], e)) {
          expect(ChangeSchema.safeParse(change).success).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('evaluates whatever an arbitrary delivery parses into', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(event, fc.jsonValue()), { maxLength: 4 }), (entries) => {
        const { events } = parseEventBridgeEvent(Buffer.from(JSON.stringify(entries)));
        for (const e of events) {
          for (const change of changesOf(FIXED_RULES, e))
            expect(ChangeSchema.safeParse(change).success).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('gives the same outcome for the same event twice (redelivery is harmless)', () => {
    fc.assert(
      fc.property(event, (e) => {
        const copy = structuredClone(e);
        expect(evaluateEvent(FIXED_RULES, copy)).toEqual(evaluateEvent(FIXED_RULES, e));
      }),
      RUNS,
    );
  });

  it('never resolves a value through a prototype', () => {
    const probe = makeRule('probe', { type: 'x' }, { action: 'stop', jobGroupId: { from: 'data.toString' } });

    fc.assert(
      fc.property(event, (e) => {
        fc.pre(!(isPlainObject(e.data) && Object.hasOwn(e.data, 'toString')));
        expect(resolveThen(probe, e)).toMatchObject({ ok: false });
      }),
      { numRuns: 50 },
    );
  });
});
