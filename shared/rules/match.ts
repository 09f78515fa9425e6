import type { z } from 'zod';
import type { CloudEvent } from '../fc/eventbridge.js';
import {
  type Change,
  changeSchemaFor,
  expandMultiChange,
  MAX_BATCH,
  multiChangeSchemaFor,
} from '../intent/index.js';
import { parseDuration } from '../state/duration.js';
import { displayKey } from '../validation.js';
import { isPlainObject, readPath } from './json.js';
import { HOLD_FOR, isFromRef, isOperator, type Rule } from './schema.js';

/** Why a matched rule produced no change for one event. Both are permanent: retrying cannot help. */
export const RULE_ERROR_CODES = {
  /** A `{from: …}` path is not in the event. */
  pathMissing: 'RULE_PATH_MISSING',
  /** The values (taken from the event or not) do not form a valid change. */
  invalidInput: 'INVALID_INPUT',
} as const;
export type RuleErrorCode = (typeof RULE_ERROR_CODES)[keyof typeof RULE_ERROR_CODES];

export type ResolveResult =
  | {
      ok: true;
      changes: Change[] /** `then.holdFor` in ms: pin what the changes set for that long. */;
      holdForMs?: number;
    }
  | { ok: false; code: RuleErrorCode; message: string; field?: string };

/** Count fields whose value may come from a decimal-integer string (alert labels are always strings). */
const COUNT_FIELDS: ReadonlySet<string> = new Set(['planedJobCount', 'jobCount', 'streamPerJob']);
const DECIMAL_COUNT = /^[0-9]{1,9}$/;
const MAX_ISSUES_IN_MESSAGE = 3;

/**
 * True when every key of the rule's `match` matches the event (semantics in `schema.ts`): scalars equal
 * by value and type, lists are any-of, `data` is a recursive subset match, arrays in the event match
 * when any element does. Never throws.
 *
 * @example
 * matchRule({ match: { type: ['cms:Alarm:Alert'], data: { alertState: 'ALERT' } } }, event);
 */
export function matchRule(rule: Pick<Rule, 'match'>, event: CloudEvent): boolean {
  return Object.entries(rule.match).every(([attribute, pattern]) =>
    matchPattern(pattern, lookup(event, attribute), 0),
  );
}

type Lookup = { present: true; value: unknown } | { present: false };

const ABSENT: Lookup = { present: false };

function lookup(container: unknown, key: string): Lookup {
  if (!isPlainObject(container) || !Object.hasOwn(container, key)) return ABSENT;
  const value = container[key];
  return value === undefined ? ABSENT : { present: true, value };
}

function matchPattern(pattern: unknown, field: Lookup, depth: number): boolean {
  if (Array.isArray(pattern)) return pattern.some((item) => matchLeaf(item, field));
  if (!isPlainObject(pattern) || isOperator(pattern)) return matchLeaf(pattern, field);
  // Schema-validated rules nest at most 32 levels; this guard only protects against unvalidated input.
  if (depth > 64) return false;
  const nested = Object.entries(pattern);
  const matchesObject = (value: unknown): boolean =>
    nested.every(([key, sub]) => matchPattern(sub, lookup(value, key), depth + 1));
  if (!field.present) return matchesObject(undefined);
  return Array.isArray(field.value) ? field.value.some(matchesObject) : matchesObject(field.value);
}

function matchLeaf(pattern: unknown, field: Lookup): boolean {
  if (isOperator(pattern)) {
    if ('exists' in pattern) return pattern.exists === field.present;
    const { prefix } = pattern;
    return field.present && anyElement(field.value, (v) => typeof v === 'string' && v.startsWith(prefix));
  }
  return field.present && anyElement(field.value, (v) => v === pattern);
}

const anyElement = (value: unknown, test: (v: unknown) => boolean): boolean =>
  Array.isArray(value) ? value.some(test) : test(value);

/**
 * Builds the rule's changes for one event: every `{from: path}` is read from the event, then the whole
 * change is validated exactly like webhook input (`MultiChangeSchema` + `expandMultiChange` for
 * `jobGroupIds`, then `ChangeSchema` for each change). A missing path is `RULE_PATH_MISSING` naming the
 * path; a value that is not valid is `INVALID_INPUT` naming the field.
 *
 * Coercion: only for `planedJobCount`, `jobCount` and `streamPerJob` taken directly from the event, a
 * string of 1-9 decimal digits becomes a number ("12" → 12), because alert labels are always strings.
 * Nothing else is coerced: "-1", "1.5", " 12", a number for `jobGroupId` or "true" for a boolean are
 * INVALID_INPUT.
 *
 * @example
 * resolveThen({ name: 'r', then: { action: 'scale', jobGroupId: { from: 'data.group' }, planedJobCount: 3 } }, event);
 * // { ok: true, changes: [{ action: 'scale', jobGroupId: '7', planedJobCount: 3 }] }
 */
export function resolveThen(rule: Pick<Rule, 'name' | 'then'>, event: CloudEvent): ResolveResult {
  const entries: Array<[string, unknown]> = [];
  const sources = new Map<string, string>();
  const { [HOLD_FOR]: holdFor, ...then } = rule.then;
  const holdForMs = typeof holdFor === 'string' ? parseDuration(holdFor) : undefined;
  const held = holdForMs === undefined ? {} : { holdForMs };
  for (const [field, template] of Object.entries(then)) {
    const resolved = resolveTemplate(template, event, 0);
    if (!resolved.ok) {
      return {
        ok: false,
        code: RULE_ERROR_CODES.pathMissing,
        field,
        message: `rule "${rule.name}": ${field} takes "${resolved.missing}", which the event does not have`,
      };
    }
    let value = resolved.value;
    if (isFromRef(template)) {
      sources.set(field, template.from);
      if (COUNT_FIELDS.has(field) && typeof value === 'string') {
        if (!DECIMAL_COUNT.test(value)) {
          // Say what a count taken from text must look like ("expected number, received string" would not).
          const shown = value === '' ? 'an empty string' : `"${displayKey(value)}"`;
          return {
            ok: false,
            code: RULE_ERROR_CODES.invalidInput,
            field,
            message: `rule "${rule.name}": ${field} (from ${template.from}): ${shown} is not a whole number (1-9 decimal digits, nothing else)`,
          };
        }
        value = Number(value);
      }
    }
    entries.push([field, value]);
  }
  // fromEntries defines own properties: a key can never reach a prototype.
  const candidate = Object.fromEntries(entries);
  const invalid = (error: z.ZodError): ResolveResult => invalidInput(rule.name, error, sources);

  if (Object.hasOwn(candidate, 'jobGroupIds')) {
    const multi = multiChangeSchemaFor(candidate).safeParse(candidate);
    if (!multi.success) return invalid(multi.error);
    const expanded = expandMultiChange(multi.data);
    if (expanded.length > MAX_BATCH) {
      return {
        ok: false,
        code: RULE_ERROR_CODES.invalidInput,
        field: 'jobGroupIds',
        message: `rule "${rule.name}": jobGroupIds: at most ${MAX_BATCH} job groups per event`,
      };
    }
    const changes: Change[] = [];
    for (const change of expanded) {
      const checked = changeSchemaFor(change).safeParse(change);
      if (!checked.success) return invalid(checked.error);
      changes.push(checked.data);
    }
    return { ok: true, changes, ...held };
  }
  const single = changeSchemaFor(candidate).safeParse(candidate);
  return single.success ? { ok: true, changes: [single.data], ...held } : invalid(single.error);
}

type TemplateResult = { ok: true; value: unknown } | { ok: false; missing: string };

function resolveTemplate(template: unknown, event: CloudEvent, depth: number): TemplateResult {
  if (isFromRef(template)) {
    const found = readPath(event, template.from);
    return found.found ? { ok: true, value: found.value } : { ok: false, missing: template.from };
  }
  if (depth > 64) return { ok: true, value: template }; // Unvalidated input only: leave as is, zod rejects it.
  if (Array.isArray(template)) {
    const values: unknown[] = [];
    for (const item of template) {
      const resolved = resolveTemplate(item, event, depth + 1);
      if (!resolved.ok) return resolved;
      values.push(resolved.value);
    }
    return { ok: true, value: values };
  }
  if (isPlainObject(template)) {
    const entries: Array<[string, unknown]> = [];
    for (const [key, item] of Object.entries(template)) {
      const resolved = resolveTemplate(item, event, depth + 1);
      if (!resolved.ok) return resolved;
      entries.push([key, resolved.value]);
    }
    return { ok: true, value: Object.fromEntries(entries) };
  }
  return { ok: true, value: template };
}

function invalidInput(
  ruleName: string,
  error: z.ZodError,
  sources: ReadonlyMap<string, string>,
): ResolveResult {
  const [first] = error.issues;
  const field = first?.path[0] === undefined ? undefined : String(first.path[0]);
  const parts = error.issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((issue) => {
    const name = issue.path.length > 0 ? issue.path.map(String).join('.') : '(change)';
    const head = issue.path[0] === undefined ? undefined : sources.get(String(issue.path[0]));
    return `${name}${head === undefined ? '' : ` (from ${head})`}: ${issue.message}`;
  });
  const more = error.issues.length - MAX_ISSUES_IN_MESSAGE;
  return {
    ok: false,
    code: RULE_ERROR_CODES.invalidInput,
    message: `rule "${ruleName}": ${parts.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
    ...(field === undefined ? {} : { field }),
  };
}
