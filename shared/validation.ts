import type { z } from 'zod';
import { AutopilotError, type ErrorCode } from './errors.js';

/** Field names a caller may mean when they send an unknown key; used for "did you mean" hints. */
const KNOWN_FIELDS = [
  'action',
  'changes',
  'jobGroupId',
  'jobGroupIds',
  'jobGroupName',
  'algoLibId',
  'resourceProfileId',
  'planedJobCount',
  'jobCount',
  'streamPerJob',
  'status',
  'params',
  'ES_ENABLE',
  'RDS_ENABLE',
  'OUT_MQ_ENABLE',
  'DATAHUB_ENABLE',
  'SCHEDULE_FLOW_START_TIME',
] as const;

/** One problem, with the dotted/bracketed path of the field it is about. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

const PLAIN_KEY = /^[\x20-\x7e]{1,64}$/;
const SHOWN_KEY_CHARS = 40;

/**
 * A key as errors and logs show it: printable ASCII up to 64 characters as is; anything else (a key
 * sent by a caller can be a megabyte of text, control or bidi characters) escaped and cut short, so an
 * error never reflects hostile text or grows with the input.
 */
export function displayKey(key: string): string {
  if (PLAIN_KEY.test(key)) return key;
  const chars = [...key.slice(0, SHOWN_KEY_CHARS + 1)];
  const shown = chars
    .slice(0, SHOWN_KEY_CHARS)
    .map((c) => (/^[\x20-\x7e]$/.test(c) ? c : `\\u{${c.codePointAt(0)!.toString(16)}}`))
    .join('');
  return chars.length > SHOWN_KEY_CHARS ? `${shown}…(${key.length} characters)` : shown || '""';
}

/** `['schedules', 0, 'windows', 1, 'to']` → `schedules[0].windows[1].to` (keys through {@link displayKey}). */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = typeof part === 'string' ? displayKey(part) : String(part);
      out += out === '' ? key : `.${key}`;
    }
  }
  return out;
}

/** Edits between two strings, a swap of two neighbours counting as one (`form` → `from`, `qsp` → `qps`). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known field an unknown key most likely meant, if it is close enough to be a typo. */
export function suggestField(key: string, candidates: readonly string[] = KNOWN_FIELDS): string | undefined {
  const normalise = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(normalise(key), normalise(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= (key.length <= 4 ? 1 : Math.max(2, Math.floor(key.length / 4))) ? best : undefined;
}

/** How many issues {@link zodIssues} makes of `error`: one per unknown key, one per other problem. */
export function issueCount(error: z.ZodError): number {
  let count = 0;
  for (const issue of error.issues) count += issue.code === 'unrecognized_keys' ? issue.keys.length : 1;
  return count;
}

interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, unknown>;
  readonly element?: unknown;
  readonly valueType?: unknown;
  readonly innerType?: unknown;
  readonly in?: unknown;
  readonly options?: readonly unknown[];
  readonly getter?: () => unknown;
}
const defOf = (schema: unknown): SchemaDef | undefined =>
  (schema as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;

/**
 * The field names of the object schema found at `path` inside `schema` (through arrays, records,
 * optional/default wrappers, pipes, unions and lazies): what an unknown key there may have meant.
 */
export function keysAt(schema: unknown, path: readonly PropertyKey[], depth = 0): string[] | undefined {
  const def = defOf(schema);
  if (!def || depth > 64) return undefined;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return keysAt(def.innerType, path, depth + 1);
    case 'pipe':
      return keysAt(def.in, path, depth + 1);
    case 'lazy':
      return keysAt(def.getter?.(), path, depth + 1);
    case 'union': {
      const all = (def.options ?? []).flatMap((option) => keysAt(option, path, depth + 1) ?? []);
      return all.length > 0 ? [...new Set(all)] : undefined;
    }
    default:
      break;
  }
  if (path.length === 0) return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
  const [head, ...rest] = path;
  if (def.type === 'object')
    return def.shape && typeof head === 'string' ? keysAt(def.shape[head], rest, depth + 1) : undefined;
  if (def.type === 'array') return keysAt(def.element, rest, depth + 1);
  if (def.type === 'record') return keysAt(def.valueType, rest, depth + 1);
  return undefined;
}

/**
 * zod issues → our issues, one per problem; unknown keys are named one by one with a suggestion — from
 * the keys `schema` accepts at that place when it is given, else from the change vocabulary. At most
 * `limit` are built (a body can hold 100,000 unknown keys).
 */
export function zodIssues(
  error: z.ZodError,
  prefix = '',
  limit = Number.POSITIVE_INFINITY,
  schema?: unknown,
): Issue[] {
  const issues: Issue[] = [];
  for (const issue of error.issues) {
    if (issues.length >= limit) break;
    if (issue.code === 'unrecognized_keys') {
      const candidates = schema === undefined ? undefined : keysAt(schema, issue.path);
      for (const key of issue.keys) {
        if (issues.length >= limit) break;
        const hint = PLAIN_KEY.test(key) ? suggestField(key, candidates) : undefined;
        // A field of another shape (`changes` beside `action`) is not a typo: say it does not belong here.
        const note =
          hint === undefined ? '' : hint === key ? ' (not accepted here)' : ` (did you mean "${hint}"?)`;
        issues.push({
          path: formatPath([...issue.path, key], prefix),
          message: `unknown field "${displayKey(key)}"${note}`,
        });
      }
    } else {
      issues.push({ path: formatPath(issue.path, prefix) || '(root)', message: issue.message });
    }
  }
  return issues;
}

/** Issues an error lists in its details; the rest are counted (`moreIssues`). */
export const MAX_LISTED_ISSUES = 20;

/** A zod failure as one INVALID_INPUT error naming the first field, with every issue in details. */
export function validationError(
  error: z.ZodError,
  prefix = '',
  code: ErrorCode = 'INVALID_INPUT',
): AutopilotError {
  const issues = zodIssues(error, prefix, MAX_LISTED_ISSUES);
  const more = issueCount(error) - issues.length;
  // A misspelt field also makes the real one "missing": name the unknown field first, it is the cause.
  const first = issues.find((issue) => issue.message.startsWith('unknown field')) ??
    issues[0] ?? { path: prefix || '(root)', message: 'invalid' };
  return new AutopilotError(code, {
    message: `${first.path}: ${first.message}`,
    field: first.path,
    details: { issues, ...(more > 0 && { moreIssues: more }) },
  });
}

/** Parses `input` with `schema` or throws an INVALID_INPUT AutopilotError naming the field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error, prefix);
  return result.data;
}
