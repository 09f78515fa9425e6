import { AutopilotError } from '../errors.js';
import type { HttpRequest } from '../fc/http.js';
import { JOB_GROUP_ID } from '../jobgroup/id.js';
import { ForbiddenKeyError, parseJsonRefusingForbiddenKeys } from '../json.js';

const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.+-]+\+)?json$/i;
const UTF8 = /^"?utf-8"?$/i;
const decoder = new TextDecoder('utf-8', { fatal: true });

/** `application/json` or any `+json` type, optionally `; charset=utf-8`; nothing else. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === 'application/json') return true;
  const [type = '', ...parameters] = value.split(';');
  if (!JSON_MEDIA_TYPE.test(type.trim())) return false;
  return parameters.every((parameter) => {
    const eq = parameter.indexOf('=');
    const key = (eq < 0 ? parameter : parameter.slice(0, eq)).trim().toLowerCase();
    return key !== 'charset' || UTF8.test(parameter.slice(eq + 1).trim());
  });
}

/**
 * The request body as JSON: an empty body is `{}` (so `stop` needs none and `scale` names the missing
 * field); a non-empty one must be declared JSON (415) and be valid UTF-8 JSON (400). A `__proto__`,
 * `constructor` or `prototype` key, at any depth, is a 400 naming it: no route has such a field, and
 * dropping it silently would accept a request that was not what it looked like.
 */
export function readJsonBody(request: HttpRequest): unknown {
  if (request.body.length === 0) return {};
  if (!isJsonContentType(request.headers['content-type'])) throw new AutopilotError('UNSUPPORTED_MEDIA_TYPE');
  try {
    return parseJsonRefusingForbiddenKeys(decoder.decode(request.body));
  } catch (error) {
    if (error instanceof ForbiddenKeyError) {
      throw new AutopilotError('INVALID_INPUT', {
        message: `${error.key}: not accepted in a request body (no route has this field)`,
        field: error.key,
      });
    }
    // Invalid UTF-8, a syntax error, or nesting deep enough to exhaust the reviver's stack.
    throw new AutopilotError('INVALID_JSON');
  }
}

const QUERY_KEYS = ['dryRun'] as const;
const TRUE_VALUES = new Set(['', 'true', '1']);
const FALSE_VALUES = new Set(['false', '0']);

/**
 * The query of a mutating route: only `dryRun` (`true`/`1`/empty, `false`/`0`). Anything else is refused,
 * so a misspelt `dry_run=true` cannot silently turn a dry run into a real change.
 */
export function parseQuery(
  query: Readonly<Record<string, string>>,
  allowed: readonly string[] = [],
): { dryRun: boolean } {
  let dryRun = false;
  for (const [key, value] of Object.entries(query)) {
    if (allowed.includes(key)) continue;
    if (key === 'dryRun') {
      if (TRUE_VALUES.has(value.toLowerCase())) dryRun = true;
      else if (!FALSE_VALUES.has(value.toLowerCase())) {
        throw new AutopilotError('INVALID_INPUT', {
          message: 'dryRun: must be true or false',
          field: 'dryRun',
        });
      }
      continue;
    }
    const hint = [...QUERY_KEYS, ...allowed].find(
      (known) => known.toLowerCase() === key.toLowerCase().replace(/[-_]/g, ''),
    );
    const shown = /^[\x20-\x7e]{1,64}$/.test(key) ? `"${key}"` : 'a parameter';
    throw new AutopilotError('INVALID_INPUT', {
      message: `unknown query parameter ${shown}${hint ? ` (did you mean "${hint}"?)` : ''}; only ${[...QUERY_KEYS, ...allowed].join(', ')} ${allowed.length > 0 ? 'are' : 'is'} accepted.`,
      field: 'query',
    });
  }
  return { dryRun };
}

/** A job group id from the path: 1–64 letters, digits, `_` or `-`, else 400 before anything else happens. */
export function parseJobGroupIdParam(value: string | undefined): string {
  // The schema's own pattern: a path segment is a string, so nothing else of the schema applies.
  if (value !== undefined && JOB_GROUP_ID.test(value)) return value;
  throw new AutopilotError('INVALID_JOB_GROUP_ID', { field: 'jobGroupId' });
}
