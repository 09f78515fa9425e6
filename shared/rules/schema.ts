/**
 * The `rules` section of the config file: each rule matches CloudEvents and says which job-group change
 * to make. Semantics, decided once here:
 *
 * **match** — every listed key must match (AND). Keys are CloudEvent attributes (`source`, `type`,
 * `subject`, extensions such as `aliyunregionid`) and `data`. A leaf is
 * - a scalar (string, number, boolean): equal by value AND type — `"3"` never matches `3`, `"true"` never
 *   matches `true`. Core attributes are always strings, so a number there is a config error; alert labels
 *   are always strings too (see `validateRules`). Quote numbers you expect as text.
 * - a list: any of its items (scalars or operators) matches.
 * - an operator: `{prefix: "acs."}` (a string value that starts with it) or `{exists: true|false}`
 *   (the field is present — `null` counts as present — or absent). An object with exactly one key
 *   `prefix` or `exists` is always read as an operator.
 * - under `data`, a nested object: a subset match, recursively (the event may carry more fields).
 *
 * A path that does not resolve (missing field, or a scalar where an object was expected) is absent:
 * only `{exists: false}` matches it. When the event value is an array, a pattern matches if it matches
 * any element (`labels: {team: ops}` matches `team: ["ops", "db"]`; a nested pattern matches if any
 * element object matches it). Pattern keys are literal: a key containing `.` is a key, not a path.
 *
 * **then** — the multi-group change (`jobGroupIds: [...]`) or a single `jobGroupId`, in the webhook's
 * change vocabulary. Any value, at any depth, may be `{from: "dotted.path"}` into the event
 * (`data.jobGroupId`, `data.labels.group`, `subject`, `data.items.0.id`); see `resolveThen` for how
 * those are read and validated. Literal values are validated here, when the config loads.
 *
 * **then.holdFor** — optional `90m`, `2h`, `3d` (a literal, at most `holds.maxDuration`): after the
 * change applies, a pin on the fields it sets keeps other automation off them for that long; the same
 * rule firing again for the group (a repeated alert) extends the pin and is not held off by it.
 */
import { z } from 'zod';
import { ChangeSchema, MultiChangeSchema } from '../intent/index.js';
import { lazySchema } from '../lazy-schema.js';
import { parseDuration } from '../state/duration.js';
import { formatPath, type Issue } from '../validation.js';
import { ALERT_SOURCES } from './alerts.js';
import { FORBIDDEN_KEYS, isPlainObject } from './json.js';

export type Scalar = string | number | boolean;
/** `{prefix: "acs."}` or `{exists: false}`: a leaf that tests rather than compares. */
export type Operator = { prefix: string } | { exists: boolean };
/** A value taken from the event: `{from: "data.labels.group"}`. */
export type FromRef = { from: string };

/** A problem found inside one rule, with its path relative to that rule's field (for zod issues). */
interface RuleIssue {
  readonly path: Array<string | number>;
  readonly message: string;
}

/** CloudEvents attribute names: lower-case letters and digits (CloudEvents 1.0 §3.1.1). */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,64}$/;
/** Attributes CloudEvents (and EventBridge) always deliver as strings. */
const STRING_ATTRIBUTES: ReadonlySet<string> = new Set([
  'id',
  'source',
  'specversion',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
  'aliyunaccountid',
  'aliyunpublishtime',
  'aliyuneventbusname',
  'aliyunregionid',
  'aliyunpublishaddr',
]);
const MAX_DEPTH = 32;
const PATH_SEGMENT = /^[^.\s]+$/;

/** A rule name: shows up in logs and outcomes. `:` is left out so built-in names cannot collide. */
export const RuleNameSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
      'must be 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
    ),
);

/**
 * A dotted path into a CloudEvent: the first segment is an attribute (`data`, `subject`, …), the rest
 * are object keys or array indexes. Keys that contain `.` cannot be addressed.
 */
export const EventPathSchema = lazySchema(() =>
  z.string().superRefine((path, ctx) => {
    const message = pathProblem(path);
    if (message) ctx.addIssue({ code: 'custom', message });
  }),
);

function pathProblem(path: string): string | undefined {
  const segments = path.split('.');
  const [head = ''] = segments;
  if (!ATTRIBUTE_NAME.test(head)) {
    return `path "${path}" must start with a CloudEvent attribute (lower-case letters and digits), e.g. data.count`;
  }
  const bad = segments.find((segment) => !PATH_SEGMENT.test(segment) || FORBIDDEN_KEYS.has(segment));
  return bad === undefined ? undefined : `path "${path}" has an empty, blank or reserved segment "${bad}"`;
}

/**
 * `match`: CloudEvent attribute → pattern (grammar above). A JSON mapping refined by hand, so every error
 * names its exact path (a zod union would report only "Invalid input" at the top) and the schema still
 * converts to JSON Schema for editors.
 */
export const MatchSchema = lazySchema(() =>
  z
    .record(z.string(), z.unknown(), {
      error: 'match must be a mapping of CloudEvent attributes to patterns',
    })
    .superRefine((match, ctx) => {
      for (const issue of checkMatch(match)) ctx.addIssue({ code: 'custom', ...issue });
    })
    .meta({
      description:
        'CloudEvent attribute (or data) → value, list (any of), {prefix}, {exists} or nested pattern',
    }),
);
export type Match = z.infer<typeof MatchSchema>;

/** `then`: a change whose values may be `{from: path}`. Literal values are checked against the change schema. */
export const ThenSchema = lazySchema(() =>
  z
    .record(z.string(), z.unknown(), {
      error: 'then must be a mapping: a change such as {action: stop, jobGroupId: "3"}',
    })
    .superRefine((then, ctx) => {
      for (const issue of checkThen(then)) ctx.addIssue({ code: 'custom', ...issue });
    })
    .meta({ description: 'A change (jobGroupId or jobGroupIds form); any value may be {from: "data.path"}' }),
);
export type Then = z.infer<typeof ThenSchema>;

/** One rule. Per-rule checks live in the schema; checks across rules are in `validateRules`. */
export const RuleSchema = lazySchema(() =>
  z.strictObject({
    name: RuleNameSchema,
    match: MatchSchema,
    // biome-ignore lint/suspicious/noThenProperty: the config key is `then`; its value is a mapping, never callable, so a rule is not thenable.
    then: ThenSchema,
  }),
);
export type Rule = z.infer<typeof RuleSchema>;

/**
 * Checks across rules, run on the parsed `rules` section (each rule's own checks are in `RuleSchema`):
 * names are unique; rules on alert sources do not compare labels or annotations (always strings) with
 * numbers or booleans. Paths are config paths (`rules[1].name`).
 *
 * @example
 * validateRules([ruleA, ruleA]); // [{ path: 'rules[1].name', message: 'duplicate rule name "a" (also rules[0])' }]
 */
export function validateRules(rules: readonly Rule[], holds?: { readonly maxDuration: string }): Issue[] {
  const issues: Issue[] = [];
  const at = (path: Array<string | number>): string => formatPath(path, 'rules');
  const firstIndex = new Map<string, number>();
  const maxHold = holds ? parseDuration(holds.maxDuration) : undefined;
  rules.forEach((rule, index) => {
    if (!isPlainObject(rule)) return;
    const holdFor = isPlainObject(rule.then) ? rule.then[HOLD_FOR] : undefined;
    const holdMs = typeof holdFor === 'string' ? parseDuration(holdFor) : undefined;
    if (holds && maxHold !== undefined && holdMs !== undefined && holdMs > maxHold) {
      issues.push({
        path: at([index, 'then', HOLD_FOR]),
        message: `holdFor ${holdFor} is longer than holds.maxDuration (${holds.maxDuration}); shorten it or raise holds.maxDuration`,
      });
    }
    if (typeof rule.name === 'string') {
      const first = firstIndex.get(rule.name);
      if (first === undefined) firstIndex.set(rule.name, index);
      else
        issues.push({
          path: at([index, 'name']),
          message: `duplicate rule name "${rule.name}" (also rules[${first}])`,
        });
    }
    if (isPlainObject(rule.match) && matchesAlertSource(rule.match.source)) {
      const data: unknown = rule.match.data;
      if (isPlainObject(data)) {
        for (const field of ['labels', 'annotations'] as const) {
          const section = data[field];
          if (!isPlainObject(section)) continue;
          for (const [key, pattern] of Object.entries(section)) {
            if (!hasNonStringScalar(pattern)) continue;
            issues.push({
              path: at([index, 'match', 'data', field, key]),
              message: `alert ${field} are always strings: quote the value (e.g. "3", "true")`,
            });
          }
        }
      }
    }
  });
  return issues;
}

const ALERT_SOURCE_NAMES: ReadonlySet<string> = new Set(Object.values(ALERT_SOURCES));

function matchesAlertSource(pattern: unknown): boolean {
  const items = Array.isArray(pattern) ? pattern : [pattern];
  return items.some((item) => typeof item === 'string' && ALERT_SOURCE_NAMES.has(item));
}

function hasNonStringScalar(pattern: unknown): boolean {
  const items = Array.isArray(pattern) ? pattern : [pattern];
  return items.some((item) => typeof item === 'number' || typeof item === 'boolean');
}

/** True when `value` is an operator object (exactly one key, `prefix` or `exists`). */
export function isOperator(value: unknown): value is Operator {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'prefix' || keys[0] === 'exists');
}

/** True when `value` is a `{from: …}` reference (the shape; `checkThen` validates the path). */
export function isFromRef(value: unknown): value is FromRef {
  return isPlainObject(value) && Object.hasOwn(value, 'from');
}

function checkMatch(match: Record<string, unknown>): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const keys = Object.keys(match);
  if (keys.length === 0) {
    issues.push({
      path: [],
      message: 'match needs at least one attribute: a rule must not match every event',
    });
  }
  for (const key of keys) {
    const pattern = match[key];
    if (!ATTRIBUTE_NAME.test(key)) {
      issues.push({
        path: [key],
        message: `"${key}" is not a CloudEvent attribute (lower-case letters and digits); match payload fields under data`,
      });
      continue;
    }
    if (key === 'data') {
      checkPattern(pattern, [key], issues, 0);
      continue;
    }
    if (isPlainObject(pattern) && !isOperator(pattern)) {
      issues.push({
        path: [key],
        message:
          'an attribute matches a value, a list or {prefix}/{exists}; nested patterns are only for data',
      });
      continue;
    }
    checkPattern(pattern, [key], issues, 0);
    if (STRING_ATTRIBUTES.has(key) && hasNonStringScalar(pattern)) {
      issues.push({ path: [key], message: `${key} is always a string: quote the value (e.g. "3")` });
    }
  }
  return issues;
}

function checkPattern(
  pattern: unknown,
  path: Array<string | number>,
  issues: RuleIssue[],
  depth: number,
): void {
  if (depth > MAX_DEPTH) {
    issues.push({ path, message: `patterns nest at most ${MAX_DEPTH} levels` });
    return;
  }
  if (isScalar(pattern)) {
    checkScalar(pattern, path, issues);
    return;
  }
  if (pattern === null || pattern === undefined) {
    issues.push({
      path,
      message:
        'a pattern cannot be empty or null (a key without a value?); use {exists: false} for an absent field',
    });
    return;
  }
  if (Array.isArray(pattern)) {
    if (pattern.length === 0) issues.push({ path, message: 'an empty list matches nothing' });
    pattern.forEach((item, index) => {
      if (isScalar(item)) checkScalar(item, [...path, index], issues);
      else if (isOperator(item)) checkOperator(item, [...path, index], issues);
      else {
        issues.push({
          path: [...path, index],
          message: 'a list holds values or {prefix}/{exists} operators, not lists, nested patterns or null',
        });
      }
    });
    return;
  }
  if (isOperator(pattern)) {
    checkOperator(pattern, path, issues);
    return;
  }
  if (!isPlainObject(pattern)) {
    issues.push({ path, message: 'not a pattern' });
    return;
  }
  const keys = Object.keys(pattern);
  if (keys.length === 0) issues.push({ path, message: 'an empty pattern matches anything: remove it' });
  for (const key of keys) {
    if (FORBIDDEN_KEYS.has(key)) issues.push({ path: [...path, key], message: `"${key}" is a reserved key` });
    else checkPattern(pattern[key], [...path, key], issues, depth + 1);
  }
}

function checkOperator(
  operator: Record<string, unknown>,
  path: Array<string | number>,
  issues: RuleIssue[],
): void {
  if ('prefix' in operator && (typeof operator.prefix !== 'string' || operator.prefix.length === 0)) {
    issues.push({ path: [...path, 'prefix'], message: 'prefix takes a non-empty string' });
  }
  if ('exists' in operator && typeof operator.exists !== 'boolean') {
    issues.push({ path: [...path, 'exists'], message: 'exists takes true or false' });
  }
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function checkScalar(value: Scalar, path: Array<string | number>, issues: RuleIssue[]): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    issues.push({ path, message: 'numbers must be finite (JSON has no NaN or Infinity)' });
  }
}

type ChangeOption = (typeof ChangeSchema.options)[number] | (typeof MultiChangeSchema.options)[number];

interface ChangeOptions {
  readonly single: ReadonlyMap<string, ChangeOption>;
  readonly multi: ReadonlyMap<string, ChangeOption>;
  readonly actions: readonly string[];
  readonly fields: ReadonlySet<string>;
}
// Read from the change schemas when the first `then` is checked, not when this module loads.
let changeOptionsBuilt: ChangeOptions | undefined;
function changeOptions(): ChangeOptions {
  if (changeOptionsBuilt) return changeOptionsBuilt;
  const single = new Map<string, ChangeOption>(ChangeSchema.options.map((o) => [o.shape.action.value, o]));
  const multi = new Map<string, ChangeOption>(
    MultiChangeSchema.options.map((o) => [o.shape.action.value, o]),
  );
  changeOptionsBuilt = {
    single,
    multi,
    actions: [...single.keys()],
    fields: new Set([...single.values(), ...multi.values()].flatMap((o) => Object.keys(o.shape))),
  };
  return changeOptionsBuilt;
}

/** The `then` key that is not a change field: how long the change's fields stay pinned. */
export const HOLD_FOR = 'holdFor';

function checkThen(withHold: Record<string, unknown>): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const { [HOLD_FOR]: holdFor, ...then } = withHold;
  if (Object.hasOwn(withHold, HOLD_FOR)) {
    if (typeof holdFor !== 'string' || parseDuration(holdFor) === undefined) {
      issues.push({
        path: [HOLD_FOR],
        message: 'holdFor must be a literal duration such as 90m, 2h or 3d (not taken from the event)',
      });
    }
  }
  for (const [key, value] of Object.entries(then)) {
    if (FORBIDDEN_KEYS.has(key)) issues.push({ path: [key], message: `"${key}" is a reserved key` });
    else checkTemplate(value, [key], issues, 0);
  }
  if (issues.length > 0) return issues;

  const single = Object.hasOwn(then, 'jobGroupId');
  const multi = Object.hasOwn(then, 'jobGroupIds');
  if (single === multi) {
    issues.push({ path: [], message: 'then needs exactly one of jobGroupId or jobGroupIds' });
  }
  const { action } = then;
  const options = changeOptions();
  if (action === undefined) {
    issues.push({ path: ['action'], message: `then needs an action: one of ${options.actions.join(', ')}` });
    return issues;
  }
  if (isFromRef(action)) {
    // The action is only known per event: only the field names can be checked now.
    for (const key of Object.keys(then)) {
      if (!options.fields.has(key)) issues.push({ path: [key], message: `unknown field "${key}"` });
    }
    return issues;
  }
  const option =
    typeof action === 'string' ? (multi ? options.multi : options.single).get(action) : undefined;
  if (option === undefined) {
    issues.push({ path: ['action'], message: `action must be one of ${options.actions.join(', ')}` });
    return issues;
  }
  if (single === multi) return issues;

  const shape: Record<string, z.ZodType> = option.shape;
  for (const [key, value] of Object.entries(then)) {
    const field = shape[key];
    if (field === undefined) {
      const allowed = Object.keys(shape).filter((k) => k !== 'action');
      issues.push({
        path: [key],
        message: `unknown field "${key}" for action ${action} (allowed: ${allowed.join(', ')})`,
      });
      continue;
    }
    if (containsFromRef(value)) continue; // Validated per event, once the value is known.
    const result = field.safeParse(value);
    for (const issue of result.error?.issues ?? []) {
      issues.push({ path: [key, ...issue.path.map(toPathKey)], message: issue.message });
    }
  }
  for (const [key, field] of Object.entries(shape)) {
    if (!Object.hasOwn(then, key) && !field.safeParse(undefined).success) {
      issues.push({ path: [key], message: `action ${action} needs ${key}` });
    }
  }
  return issues;
}

function checkTemplate(
  value: unknown,
  path: Array<string | number>,
  issues: RuleIssue[],
  depth: number,
): void {
  if (depth > MAX_DEPTH) {
    issues.push({ path, message: `values nest at most ${MAX_DEPTH} levels` });
    return;
  }
  if (value === null || isScalar(value)) {
    if (typeof value === 'number') checkScalar(value, path, issues);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      checkTemplate(item, [...path, index], issues, depth + 1);
    });
    return;
  }
  if (!isPlainObject(value)) {
    issues.push({ path, message: 'not a JSON value' });
    return;
  }
  if (isFromRef(value)) {
    const extra = Object.keys(value).filter((k) => k !== 'from');
    if (extra.length > 0) {
      issues.push({ path, message: `{from: …} takes no other keys (found ${extra.join(', ')})` });
    }
    const problem =
      typeof value.from === 'string' ? pathProblem(value.from) : 'from takes a dotted path string';
    if (problem) issues.push({ path: [...path, 'from'], message: problem });
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(key)) issues.push({ path: [...path, key], message: `"${key}" is a reserved key` });
    else checkTemplate(item, [...path, key], issues, depth + 1);
  }
}

/** True when a template takes any value from the event. */
export function containsFromRef(value: unknown): boolean {
  if (isFromRef(value)) return true;
  if (Array.isArray(value)) return value.some(containsFromRef);
  if (isPlainObject(value)) return Object.values(value).some(containsFromRef);
  return false;
}

const toPathKey = (key: PropertyKey): string | number => (typeof key === 'number' ? key : String(key));
