import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type CloudEvent, parseEventBridgeEvent } from '../../../shared/fc/eventbridge.js';
import { type Rule, RuleSchema } from '../../../shared/rules/schema.js';

/** A fixture under test/events/, as the Buffer FC hands the function. */
export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../../events/${name}`, import.meta.url));
}

/** The events of an EventBridge fixture; fails the test if any entry is invalid. */
export function fixtureEvents(name: string): CloudEvent[] {
  const { events, invalid } = parseEventBridgeEvent(fixture(`eventbridge/${name}`));
  if (invalid.length > 0) throw new Error(`fixture ${name} has invalid entries: ${JSON.stringify(invalid)}`);
  return events;
}

/** The one event of a single-event fixture. */
export function fixtureEvent(name: string): CloudEvent {
  const [event] = fixtureEvents(name);
  if (!event) throw new Error(`fixture ${name} has no event`);
  return event;
}

/** Rules written the way operators write them: YAML, parsed by the real schema. */
export function rulesFromYaml(text: string): Rule[] {
  return z.array(RuleSchema).parse(parseYaml(text));
}

/** One rule from YAML. */
export function ruleFromYaml(text: string): Rule {
  const [rule] = rulesFromYaml(`- ${text.trim().replaceAll('\n', '\n  ')}`);
  if (!rule) throw new Error('no rule');
  return rule;
}

/** A minimal valid CloudEvent with the given attributes. */
export function cloudEvent(fields: Partial<CloudEvent> & Record<string, unknown> = {}): CloudEvent {
  return { id: 'evt-1', source: 'com.example.test', specversion: '1.0', type: 'com.example.test', ...fields };
}

/** A rule from plain values (the `then` key is spelled out only here, where no object literal is thenable). */
export function makeRule(name: string, match: unknown, then: unknown): Rule {
  return RuleSchema.parse(
    Object.fromEntries([
      ['name', name],
      ['match', match],
      ['then', then],
    ]),
  );
}
