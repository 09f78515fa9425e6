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

/** `['schedules', 0, 'windows', 1, 'to']` → `schedules[0].windows[1].to`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The known field an unknown key most likely meant, if it is close enough to be a typo. */
export function suggestField(key: string): string | undefined {
  const normalise = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of KNOWN_FIELDS) {
    const distance = editDistance(normalise(key), normalise(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= (key.length <= 4 ? 1 : Math.max(2, Math.floor(key.length / 4))) ? best : undefined;
}

/** zod issues → our issues, one per problem; unknown keys are named one by one with a suggestion. */
export function zodIssues(error: z.ZodError, prefix = ''): Issue[] {
  const issues: Issue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const hint = suggestField(key);
        issues.push({
          path: formatPath([...issue.path, key], prefix),
          message: `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
        });
      }
    } else {
      issues.push({ path: formatPath(issue.path, prefix) || '(root)', message: issue.message });
    }
  }
  return issues;
}

/** A zod failure as one INVALID_INPUT error naming the first field, with every issue in details. */
export function validationError(
  error: z.ZodError,
  prefix = '',
  code: ErrorCode = 'INVALID_INPUT',
): AutopilotError {
  const issues = zodIssues(error, prefix);
  // A misspelt field also makes the real one "missing": name the unknown field first, it is the cause.
  const first = issues.find((issue) => issue.message.startsWith('unknown field')) ??
    issues[0] ?? { path: prefix || '(root)', message: 'invalid' };
  return new AutopilotError(code, {
    message: `${first.path}: ${first.message}`,
    field: first.path,
    details: { issues },
  });
}

/** Parses `input` with `schema` or throws an INVALID_INPUT AutopilotError naming the field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error, prefix);
  return result.data;
}
